/* The standalone module's own exports, beside the tagalloc_* ones: the standard allocator names
 * JavaScript callers expect, and a scratch area outside the heap where JavaScript receives walk
 * pages, stats and event counts (writing them into the heap would change what they describe). */
#include "../src/tagalloc.h"

TAGALLOC_EXPORT(malloc) void *module_malloc(size_t request) { return tagalloc_malloc(request); }
TAGALLOC_EXPORT(free) void module_free(void *payload) { tagalloc_free(payload); }
TAGALLOC_EXPORT(calloc) void *module_calloc(size_t count, size_t size) {
    return tagalloc_calloc(count, size);
}
TAGALLOC_EXPORT(realloc) void *module_realloc(void *payload, size_t request) {
    return tagalloc_realloc(payload, request);
}
TAGALLOC_EXPORT(aligned_alloc) void *module_aligned_alloc(size_t alignment, size_t request) {
    return tagalloc_aligned_alloc(alignment, request);
}
TAGALLOC_EXPORT(malloc_usable_size) size_t module_malloc_usable_size(void *payload) {
    return tagalloc_usable_size(payload);
}

#define SCRATCH_CHUNKS 512 /* one walk page, bytes: 512 * sizeof(tagalloc_chunk) */
static tagalloc_chunk scratch[SCRATCH_CHUNKS];

TAGALLOC_EXPORT(tagalloc_scratch) void *tagalloc_scratch(void) { return scratch; }
TAGALLOC_EXPORT(tagalloc_scratch_bytes) size_t tagalloc_scratch_bytes(void) {
    return sizeof scratch;
}
