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

/* errno for a NULL result, as the standard allocator sets it; out of line, off the fast path.
 * The code follows from the call's own arguments, not from tagalloc_last_error(): in the -mt
 * library another thread's call may have replaced the heap's last error by then. */
__attribute__((noinline, cold)) static void *failed(int code) {
    errno = code;
    return 0;
}

static void *or_errno(void *payload) { return payload ? payload : failed(ENOMEM); }

/* tagalloc_aligned_alloc refuses any alignment but a power of two up to TAGALLOC_ALIGN_MAX. */
static void *or_errno_aligned(void *payload, size_t alignment) {
    if (payload) return payload;
    bool valid = alignment && !(alignment & (alignment - 1)) && alignment <= TAGALLOC_ALIGN_MAX;
    return failed(valid ? ENOMEM : EINVAL);
}

void *malloc(size_t request) { return or_errno(tagalloc_malloc(request)); }
void free(void *payload) { tagalloc_free(payload); }
void *calloc(size_t count, size_t size) { return or_errno(tagalloc_calloc(count, size)); }
void *realloc(void *payload, size_t request) {
    return or_errno(tagalloc_realloc(payload, request));
}

void *aligned_alloc(size_t alignment, size_t request) {
    return or_errno_aligned(tagalloc_aligned_alloc(alignment, request), alignment);
}

/* Not in wasi-libc although its headers declare it; Emscripten's libc calls it. */
void *memalign(size_t alignment, size_t request) {
    return or_errno_aligned(tagalloc_aligned_alloc(alignment, request), alignment);
}

/* POSIX: the error comes back, errno and *out stay as they were. An alignment that is a valid
 * power of two but above TAGALLOC_ALIGN_MAX cannot be served: ENOMEM, not EINVAL. */
int posix_memalign(void **out, size_t alignment, size_t request) {
    if (!alignment || alignment % sizeof(void *) || (alignment & (alignment - 1))) return EINVAL;
    if (alignment > TAGALLOC_ALIGN_MAX) return ENOMEM;
    void *payload = tagalloc_aligned_alloc(alignment, request);
    if (!payload) return ENOMEM;
    *out = payload;
    return 0;
}

size_t malloc_usable_size(void *payload) { return tagalloc_usable_size(payload); }

/* libc's own internal names for the same calls (locale and atexit code use them). */
void *__libc_malloc(size_t request);
void __libc_free(void *payload);
void *__libc_calloc(size_t count, size_t size);
void *__libc_malloc(size_t request) { return malloc(request); }
void __libc_free(void *payload) { free(payload); }
void *__libc_calloc(size_t count, size_t size) { return calloc(count, size); }

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
/* Loads src/unthreaded.c into every link of the single-threaded Emscripten drop-in, so that an
 * emcc -pthread link of it fails and names the -mt library (4 bytes of data, no code). */
extern char tagalloc_unthreaded;
__attribute__((used)) static char *const refuse_pthread_links = &tagalloc_unthreaded;
#endif

#if defined(__EMSCRIPTEN__)
/* The allocator that Emscripten's libc (environ, mmap) and JS glue (mmapAlloc: 64 KiB aligned,
 * so TAGALLOC_ALIGN_MAX suffices) use even when malloc is wrapped by a sanitizer. */
void *__libc_realloc(void *payload, size_t request);
void *emscripten_builtin_malloc(size_t request);
void emscripten_builtin_free(void *payload);
void *emscripten_builtin_memalign(size_t alignment, size_t request);
void *__libc_realloc(void *payload, size_t request) { return realloc(payload, request); }
void *emscripten_builtin_malloc(size_t request) { return malloc(request); }
void emscripten_builtin_free(void *payload) { free(payload); }
void *emscripten_builtin_memalign(size_t alignment, size_t request) {
    return memalign(alignment, request);
}
#endif
