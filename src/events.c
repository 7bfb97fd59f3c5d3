/* What the latest call did, for the demo page: TAGALLOC_EVENTS builds record, others report 0. */
#include "heap.h"

#if TAGALLOC_EVENTS
static tagalloc_event events[TAGALLOC_EVENT_MAX];
static size_t event_count;
static bool recording = true;

void event_clear(void) { event_count = 0; }

void event_record(int kind, chunk *c, uint32_t size) {
    if (!recording) return;
    if (event_count < TAGALLOC_EVENT_MAX)
        events[event_count] = (tagalloc_event){kind, (uintptr_t)chunk_payload(c), size};
    event_count++;
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
