/* The drop-in: the standard allocator names, each forwarding to tagalloc_*. Only the wasm32-wasi
 * and Emscripten libraries hold it; native builds leave the host's malloc alone.
 *
 * wasm32-wasi: wasi-libc keeps dlmalloc in one archive member (dlmalloc.o) that defines exactly
 * malloc free calloc realloc __libc_malloc __libc_free __libc_calloc aligned_alloc
 * posix_memalign malloc_usable_size. This file defines all ten, so no reference anywhere in the
 * program can pull that member in (one name missing here would link it, and then collide).
 * Emscripten -sMALLOC=none links no allocator at all: its libc and JS glue also call memalign
 * and the emscripten_builtin_* names below. Neither gets sbrk: the heap's memory is tagalloc's. */
#define _POSIX_C_SOURCE 200112L /* posix_memalign's prototype */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "tagalloc.h"

/* errno for a refused allocation, as the standard allocator sets it. The core calls this from
 * its cold refusal path only; the names below are the tagalloc_* functions themselves. */
#define TAGALLOC_SET_ERRNO(code) (errno = (code) == TAGALLOC_ERR_BAD_ALIGNMENT ? EINVAL : ENOMEM)

/* The drop-in is one translation unit: the standard names are aliases of the core's calls, so
 * malloc and free cost no extra call, and the core's files are still one concern each. */
#include "tagalloc.c"
#include "grow.c"

#define SAME_AS(name) __attribute__((alias(#name)))

void *malloc(size_t request) SAME_AS(tagalloc_malloc);
void free(void *payload) SAME_AS(tagalloc_free);
void *calloc(size_t count, size_t size) SAME_AS(tagalloc_calloc);
void *realloc(void *payload, size_t request) SAME_AS(tagalloc_realloc);
void *aligned_alloc(size_t alignment, size_t request) SAME_AS(tagalloc_aligned_alloc);

/* Not in wasi-libc although its headers declare it; Emscripten's libc calls it. */
void *memalign(size_t alignment, size_t request) SAME_AS(tagalloc_aligned_alloc);

/* POSIX: the error comes back, errno and *out stay as they were. An alignment that is a valid
 * power of two but above TAGALLOC_ALIGN_MAX cannot be served: ENOMEM, not EINVAL. */
int posix_memalign(void **out, size_t alignment, size_t request) {
    if (!alignment || alignment % sizeof(void *) || (alignment & (alignment - 1))) return EINVAL;
    if (alignment > TAGALLOC_ALIGN_MAX) return ENOMEM;
    int saved = errno;
    void *payload = tagalloc_aligned_alloc(alignment, request);
    errno = saved;
    if (!payload) return ENOMEM;
    *out = payload;
    return 0;
}

size_t malloc_usable_size(void *payload) { return tagalloc_usable_size(payload); }

/* libc's own internal names for the same calls (locale and atexit code use them). */
void *__libc_malloc(size_t request) SAME_AS(tagalloc_malloc);
void __libc_free(void *payload) SAME_AS(tagalloc_free);
void *__libc_calloc(size_t count, size_t size) SAME_AS(tagalloc_calloc);

#if defined(__EMSCRIPTEN__)
/* The allocator that Emscripten's libc (environ, mmap) and JS glue (mmapAlloc: 64 KiB aligned,
 * so TAGALLOC_ALIGN_MAX suffices) use even when malloc is wrapped by a sanitizer. */
void *__libc_realloc(void *payload, size_t request) SAME_AS(tagalloc_realloc);
void *emscripten_builtin_malloc(size_t request) SAME_AS(tagalloc_malloc);
void emscripten_builtin_free(void *payload) SAME_AS(tagalloc_free);
void *emscripten_builtin_memalign(size_t alignment, size_t request)
    SAME_AS(tagalloc_aligned_alloc);
#endif
