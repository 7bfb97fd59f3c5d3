/* The tagalloc_* calls bench/replay.c's native build makes, served by dlmalloc: Emscripten's
 * copy of dlmalloc.c (the allocator wasi-libc also ships), compiled natively with USE_DL_PREFIX.
 * It puts dlmalloc under callgrind on the same driver and traces as build/bench/replay-native,
 * so instruction counts compare like for like (bench/README.md). dlmalloc has one policy and
 * no checker: the policy calls accept only the defaults and the check always passes. */
#include <stddef.h>

#include "../src/tagalloc.h"

void *dlmalloc(size_t request);
void dlfree(void *payload);
void *dlrealloc(void *payload, size_t request);

void *tagalloc_malloc(size_t request) { return dlmalloc(request); }
void tagalloc_free(void *payload) { dlfree(payload); }
void *tagalloc_realloc(void *payload, size_t request) { return dlrealloc(payload, request); }
int tagalloc_set_policy(int policy) { return policy == TAGALLOC_FIT_SEGREGATED ? policy : -1; }
int tagalloc_set_coalescing(int mode) { return mode == TAGALLOC_COALESCE_IMMEDIATE ? mode : -1; }
int tagalloc_check(void) { return TAGALLOC_CHECK_OK; }
