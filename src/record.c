/* The recording drop-ins: the core is compiled from src/libc.c with src/unlocked.h force-included
 * and TAGALLOC_EVENTS=1 (build.sh, build_record), so it defines tagalloc_unlocked_* and records
 * what each call did; this file defines every public name of tagalloc.h as: the unlocked call,
 * then, for the allocation calls, one record to the host (src/record.h). The standard names
 * (names.h) are aliases of these, so every malloc of the program, libc's own included, is
 * recorded. At exit the chunk list goes to the host too, so a replay can be compared with it.
 * The host import may not call back into the module; the program sees the same results, errno
 * and heap as with the ordinary drop-in. */
#define _POSIX_C_SOURCE 200112L /* posix_memalign's prototype, for names.h */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "heap.h" /* the_heap: heap size and bytes in use, read in O(1) */
#include "record.h"

_Static_assert(sizeof(tagalloc_record_entry) == TAGALLOC_RECORD_WORDS * 4, "12 words on wasm32");
_Static_assert(sizeof(tagalloc_chunk) == 12 && sizeof(tagalloc_event) == 12, "3 words each");

#include "unlocked_calls.h"

__attribute__((import_module("env"), import_name("tagalloc_record"))) void
tagalloc_record(const tagalloc_record_entry *entry);

#define PAGE_BYTES 65536u

static tagalloc_record_entry entry; /* one record at a time: the host copies what it keeps */

static void record_state(void) {
    const heap *h = &the_heap;
    entry.error = (uint32_t)tagalloc_unlocked_last_error();
    entry.heap_size = h->start ? (uint32_t)(h->end + TAG_BYTES - h->start) : 0;
    entry.in_use = h->in_use;
    entry.peak_heap = h->peak_heap;
    entry.memory = (uint32_t)(__builtin_wasm_memory_size(0) * PAGE_BYTES);
    entry.heap_start = (uint32_t)(uintptr_t)h->start;
}

static void record_call(uint32_t call, uint32_t arg0, uint32_t arg1, const void *result) {
    size_t count;
    const tagalloc_event *events = tagalloc_unlocked_events(&count);
    entry.call = call;
    entry.args[0] = arg0;
    entry.args[1] = arg1;
    entry.result = (uint32_t)(uintptr_t)result;
    record_state();
    entry.count = (uint32_t)count;
    entry.data = (uint32_t)(uintptr_t)events;
    tagalloc_record(&entry);
}

#define CHUNK_PAGE 256 /* chunks a record at exit */

/* The chunk list at exit, a page of chunks a record; static, so nothing is allocated. Runs as an
 * atexit handler (wasm32 lowers destructors to those): after main returns or exit() is called,
 * not after _Exit() or a trap. */
__attribute__((destructor)) static void record_chunks(void) {
    static tagalloc_chunk page[CHUNK_PAGE];
    uintptr_t from = 0;
    size_t total = tagalloc_unlocked_walk(page, 0);
    do {
        size_t left = tagalloc_unlocked_walk_from(from, page, CHUNK_PAGE);
        size_t here = left < CHUNK_PAGE ? left : CHUNK_PAGE;
        entry.call = TAGALLOC_RECORD_CHUNKS;
        entry.args[0] = (uint32_t)here;
        entry.args[1] = (uint32_t)total;
        entry.result = 0;
        record_state();
        entry.count = (uint32_t)here;
        entry.data = (uint32_t)(uintptr_t)page;
        tagalloc_record(&entry);
        if (left <= CHUNK_PAGE) break;
        from = page[CHUNK_PAGE - 1].payload + page[CHUNK_PAGE - 1].size; /* the next chunk's */
    } while (true);
}

TAGALLOC_EXPORT(tagalloc_malloc) void *tagalloc_malloc(size_t request) {
    void *payload = tagalloc_unlocked_malloc(request);
    record_call(TAGALLOC_RECORD_MALLOC, (uint32_t)request, 0, payload);
    return payload;
}

TAGALLOC_EXPORT(tagalloc_free) void tagalloc_free(void *payload) {
    tagalloc_unlocked_free(payload);
    record_call(TAGALLOC_RECORD_FREE, (uint32_t)(uintptr_t)payload, 0, 0);
}

TAGALLOC_EXPORT(tagalloc_calloc) void *tagalloc_calloc(size_t count, size_t size) {
    void *payload = tagalloc_unlocked_calloc(count, size);
    record_call(TAGALLOC_RECORD_CALLOC, (uint32_t)count, (uint32_t)size, payload);
    return payload;
}

TAGALLOC_EXPORT(tagalloc_realloc) void *tagalloc_realloc(void *payload, size_t request) {
    void *moved = tagalloc_unlocked_realloc(payload, request);
    record_call(TAGALLOC_RECORD_REALLOC, (uint32_t)(uintptr_t)payload, (uint32_t)request, moved);
    return moved;
}

TAGALLOC_EXPORT(tagalloc_aligned_alloc)
void *tagalloc_aligned_alloc(size_t alignment, size_t request) {
    void *payload = tagalloc_unlocked_aligned_alloc(alignment, request);
    record_call(TAGALLOC_RECORD_ALIGNED_ALLOC, (uint32_t)alignment, (uint32_t)request, payload);
    return payload;
}

/* The rest are not allocations: forwarded, not recorded. */
TAGALLOC_EXPORT(tagalloc_usable_size) size_t tagalloc_usable_size(const void *payload) {
    return tagalloc_unlocked_usable_size(payload);
}
TAGALLOC_EXPORT(tagalloc_set_policy) int tagalloc_set_policy(int policy) {
    return tagalloc_unlocked_set_policy(policy);
}
TAGALLOC_EXPORT(tagalloc_get_policy) int tagalloc_get_policy(void) {
    return tagalloc_unlocked_get_policy();
}
TAGALLOC_EXPORT(tagalloc_set_coalescing) int tagalloc_set_coalescing(int mode) {
    return tagalloc_unlocked_set_coalescing(mode);
}
TAGALLOC_EXPORT(tagalloc_get_coalescing) int tagalloc_get_coalescing(void) {
    return tagalloc_unlocked_get_coalescing();
}
TAGALLOC_EXPORT(tagalloc_rover) uintptr_t tagalloc_rover(void) { return tagalloc_unlocked_rover(); }
TAGALLOC_EXPORT(tagalloc_set_heap_limit) size_t tagalloc_set_heap_limit(size_t bytes) {
    return tagalloc_unlocked_set_heap_limit(bytes);
}
TAGALLOC_EXPORT(tagalloc_reset) void tagalloc_reset(void) { tagalloc_unlocked_reset(); }
TAGALLOC_EXPORT(tagalloc_walk) size_t tagalloc_walk(tagalloc_chunk *out, size_t max) {
    return tagalloc_unlocked_walk(out, max);
}
TAGALLOC_EXPORT(tagalloc_walk_from)
size_t tagalloc_walk_from(uintptr_t payload, tagalloc_chunk *out, size_t max) {
    return tagalloc_unlocked_walk_from(payload, out, max);
}
TAGALLOC_EXPORT(tagalloc_get_stats) void tagalloc_get_stats(tagalloc_stats *out) {
    tagalloc_unlocked_get_stats(out);
}
TAGALLOC_EXPORT(tagalloc_check) int tagalloc_check(void) { return tagalloc_unlocked_check(); }
TAGALLOC_EXPORT(tagalloc_check_where) uintptr_t tagalloc_check_where(void) {
    return tagalloc_unlocked_check_where();
}
TAGALLOC_EXPORT(tagalloc_last_error) int tagalloc_last_error(void) {
    return tagalloc_unlocked_last_error();
}
TAGALLOC_EXPORT(tagalloc_set_error_handler)
tagalloc_error_handler *tagalloc_set_error_handler(tagalloc_error_handler *handler) {
    return tagalloc_unlocked_set_error_handler(handler);
}
TAGALLOC_EXPORT(tagalloc_events) const tagalloc_event *tagalloc_events(size_t *count) {
    return tagalloc_unlocked_events(count);
}
TAGALLOC_EXPORT(tagalloc_set_events) bool tagalloc_set_events(bool on) {
    return tagalloc_unlocked_set_events(on);
}

#include "names.h" /* the standard names, as aliases of the recording calls above */
