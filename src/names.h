/* The standard allocator names, defined where this is included: by libc.c in the single-threaded
 * drop-ins, by lock.c in the -mt library. Each is an alias of a tagalloc_* call defined in the
 * same translation unit (the core's own, or lock.c's locked one).
 *
 * wasm32-wasi: wasi-libc keeps dlmalloc in one archive member (dlmalloc.o) that defines exactly
 * malloc free calloc realloc __libc_malloc __libc_free __libc_calloc aligned_alloc
 * posix_memalign malloc_usable_size. All ten are here, so no reference anywhere in the program
 * can pull that member in (one name missing here would link it, and then collide).
 * Emscripten -sMALLOC=none links no allocator at all: its libc and JS glue also call memalign
 * and the emscripten_builtin_* names below. Neither gets sbrk: the heap's memory is tagalloc's. */
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

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
/* Loads src/unthreaded.c into every link of the single-threaded Emscripten drop-in, so that an
 * emcc -pthread link of it fails and names the -mt library (4 bytes of data, no code). */
extern char tagalloc_unthreaded;
__attribute__((used)) static char *const refuse_pthread_links = &tagalloc_unthreaded;
#endif

#if defined(__EMSCRIPTEN__)
/* The allocator that Emscripten's libc (environ, mmap) and JS glue (mmapAlloc: 64 KiB aligned,
 * so TAGALLOC_ALIGN_MAX suffices) use even when malloc is wrapped by a sanitizer. */
void *__libc_realloc(void *payload, size_t request) SAME_AS(tagalloc_realloc);
void *emscripten_builtin_malloc(size_t request) SAME_AS(tagalloc_malloc);
void emscripten_builtin_free(void *payload) SAME_AS(tagalloc_free);
void *emscripten_builtin_memalign(size_t alignment, size_t request)
    SAME_AS(tagalloc_aligned_alloc);
#endif
