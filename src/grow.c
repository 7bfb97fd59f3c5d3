/* The platform: where the heap starts and how its memory grows. The core's only platform code
 * (the -mt builds add the lock, in lock.c).
 * wasm32: the heap starts at __heap_base and grows with memory.grow, 64 KiB pages, only as many
 * as the heap's end needs. Native: a fixed arena in .bss, so the OS commits pages as they are
 * first touched (reserved lazily); TAGALLOC_ARENA_BYTES sets its size at build time. */
#include "heap.h"

#if defined(__EMSCRIPTEN__)
/* Emscripten's JS glue owns memory growth: emscripten_resize_heap(total bytes) grows the memory
 * (20% beyond the request, in whole pages) and rebuilds its HEAP8..HEAPF64 views, so JS never
 * reads a detached buffer. It is asked only below emscripten_get_heap_max(): without
 * -sALLOW_MEMORY_GROWTH it would abort (ABORTING_MALLOC) where malloc must return NULL. */
#include <emscripten/heap.h>
#include <errno.h>
extern unsigned char __heap_base; /* wasm-ld's: the stack ends here, the heap starts here */

static uintptr_t reserved_end = (uintptr_t)&__heap_base; /* the heap's end so far; sbrk(0) */

uintptr_t grow_base(void) { return (uintptr_t)&__heap_base; }

bool grow_reserve(uintptr_t end) {
    if (end > emscripten_get_heap_size() &&
        (end > emscripten_get_heap_max() || !emscripten_resize_heap(end))) {
        return false;
    }
    if (end > reserved_end) reserved_end = end;
    return true;
}

/* -sMALLOC=none links no sbrk, yet -sSAFE_HEAP, -sDETERMINISTIC, --memoryprofiler and --tracing
 * make the JS glue call sbrk(0) to learn where the heap ends (the link fails without it). The
 * memory above __heap_base is the heap's, so any other increment fails. */
void *sbrk(intptr_t increment) {
    if (increment == 0) return (void *)reserved_end;
    errno = ENOMEM;
    return (void *)-1;
}

uintptr_t *emscripten_get_sbrk_ptr(void) { return &reserved_end; }

#elif defined(__wasm__)
#define PAGE_BYTES 65536u
extern unsigned char __heap_base;

uintptr_t grow_base(void) { return (uintptr_t)&__heap_base; }

bool grow_reserve(uintptr_t end) {
    uintptr_t have = __builtin_wasm_memory_size(0) * PAGE_BYTES;
    if (end <= have) return true;
    uintptr_t pages = (end - have + PAGE_BYTES - 1) / PAGE_BYTES; /* only as many as needed */
    return __builtin_wasm_memory_grow(0, pages) != (uintptr_t)-1;
}

#else
static _Alignas(TAGALLOC_ALIGN_MAX) unsigned char arena[TAGALLOC_ARENA_BYTES];

uintptr_t grow_base(void) { return (uintptr_t)arena; }

bool grow_reserve(uintptr_t end) { return end <= (uintptr_t)arena + sizeof arena; }
#endif
