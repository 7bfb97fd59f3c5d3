/* The platform: where the heap starts and how its memory grows. The only platform code.
 * wasm32: the heap starts at __heap_base and grows with memory.grow, 64 KiB pages, only as many
 * as the heap's end needs. Native: a fixed arena in .bss, so the OS commits pages as they are
 * first touched (reserved lazily); TAGALLOC_ARENA_BYTES sets its size at build time. */
#include "heap.h"

#if defined(__EMSCRIPTEN__)
/* Emscripten's JS glue owns memory growth: it must also refresh its views of the buffer. */
int emscripten_resize_heap(size_t requested_size);
size_t emscripten_get_heap_size(void);
extern unsigned char __heap_base;

uintptr_t grow_base(void) { return (uintptr_t)&__heap_base; }

bool grow_reserve(uintptr_t end) {
    return end <= emscripten_get_heap_size() || emscripten_resize_heap(end);
}

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
