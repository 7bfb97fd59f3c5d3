/* What the latest call did, for the demo page: TAGALLOC_EVENTS builds record, others report 0. */
#include "heap.h"

#if TAGALLOC_EVENTS
/* A search may probe thousands of free chunks: it keeps the first EVENT_PROBES_KEPT, so that
 * the placement, split, merges and growth that follow always find room in the log. */
#define EVENT_PROBES_KEPT (TAGALLOC_EVENT_MAX / 2)
static tagalloc_event events[TAGALLOC_EVENT_MAX];
static size_t event_count;  /* records in events[], the DROPPED one included */
static size_t probes_kept;
static size_t dropped_at;   /* index of the DROPPED record + 1, once anything was left out */
static bool recording = true;

void event_clear(void) {
    event_count = probes_kept = dropped_at = 0;
}

void event_record(int kind, chunk *c, uint32_t size) {
    if (!recording) return;
    bool probe = kind == TAGALLOC_EVENT_PROBE;
    if ((!probe || probes_kept < EVENT_PROBES_KEPT) && event_count < TAGALLOC_EVENT_MAX - 1) {
        events[event_count++] = (tagalloc_event){kind, (uintptr_t)chunk_payload(c), size};
        probes_kept += probe;
        return;
    }
    if (!dropped_at) { /* marks where the log was cut; counts what it leaves out from here on */
        events[event_count] = (tagalloc_event){TAGALLOC_EVENT_DROPPED, 0, 0};
        dropped_at = ++event_count;
    }
    tagalloc_event *d = &events[dropped_at - 1];
    if (probe) d->size++;
    else d->payload++;
}

TAGALLOC_EXPORT(tagalloc_events) const tagalloc_event *tagalloc_events(size_t *count) {
    *count = event_count;
    return events;
}

TAGALLOC_EXPORT(tagalloc_set_events) bool tagalloc_set_events(bool on) {
    bool previous = recording;
    recording = on;
    return previous;
}
#else
TAGALLOC_EXPORT(tagalloc_events) const tagalloc_event *tagalloc_events(size_t *count) {
    *count = 0;
    return 0;
}

TAGALLOC_EXPORT(tagalloc_set_events) bool tagalloc_set_events(bool on) {
    (void)on;
    return false;
}
#endif
