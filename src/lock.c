/* The -mt libraries' one lock around the heap. The core is compiled with src/unlocked.h
 * force-included, so it defines tagalloc_unlocked_*; this file defines every public name of
 * tagalloc.h as: take the lock, make the unlocked call, give the lock back. A call is then
 * atomic with respect to every other, whatever the core does inside, and the core needs no
 * change to be shared by threads.
 *
 * Emscripten -pthread: a word in linear memory; a free lock costs one compare-exchange to take
 * and one exchange to give back. A thread that finds it held spins briefly (a call holds it for
 * well under a microsecond), then sleeps in emscripten_futex_wait: memory.atomic.wait32 in
 * workers and in Node's main thread. The browser's main thread may not wait; there Emscripten's
 * futex spins, running calls proxied to the main thread meanwhile, for as long as one allocator
 * call holds the lock. Native builds (tests under ThreadSanitizer) use a pthread mutex.
 *
 * The error handler runs with the lock held, so a handler that calls tagalloc deadlocks.
 * tagalloc_last_error() is the heap's, so it tells the outcome of the latest call of any thread.
 * It is not kept per thread: a thread-local would be written by the calls that allocate a
 * thread's own thread-local block (Emscripten's emscripten_tls_init) and free it at the thread's
 * exit, before it exists and after it is gone. libc.c's errno does not depend on it. */
#define _POSIX_C_SOURCE 200112L /* posix_memalign's prototype, for names.h */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "tagalloc.h"

#include "unlocked_calls.h"

#if defined(__EMSCRIPTEN__)
#include <emscripten/threading.h>

#define LOCK_SPINS 100 /* loads of the lock word before sleeping (1,000 measured no faster) */

enum { LOCK_FREE, LOCK_HELD, LOCK_CONTENDED }; /* CONTENDED: a thread may be asleep on it */
static uint32_t lock_word;

/* Drepper's futex mutex ("Futexes are tricky", mutex 2): a thread that sleeps leaves the word
 * CONTENDED, so the thread that gives the lock back knows to wake one. */
__attribute__((noinline, cold)) static void lock_wait(uint32_t seen) {
    for (int spin = 0; spin < LOCK_SPINS && seen == LOCK_HELD; spin++) {
        seen = __atomic_load_n(&lock_word, __ATOMIC_RELAXED);
        if (seen == LOCK_FREE &&
            __atomic_compare_exchange_n(&lock_word, &seen, LOCK_HELD, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return;
    }
    if (seen != LOCK_CONTENDED)
        seen = __atomic_exchange_n(&lock_word, LOCK_CONTENDED, __ATOMIC_ACQUIRE);
    while (seen != LOCK_FREE) {
        emscripten_futex_wait(&lock_word, LOCK_CONTENDED, __builtin_inf());
        seen = __atomic_exchange_n(&lock_word, LOCK_CONTENDED, __ATOMIC_ACQUIRE);
    }
}

static inline void lock_take(void) {
    uint32_t seen = LOCK_FREE;
    if (!__atomic_compare_exchange_n(&lock_word, &seen, LOCK_HELD, false, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        lock_wait(seen);
}

static inline void lock_give(void) {
    if (__atomic_exchange_n(&lock_word, LOCK_FREE, __ATOMIC_RELEASE) == LOCK_CONTENDED)
        emscripten_futex_wake(&lock_word, 1);
}

#elif defined(__wasm__)
#error "wasm32-wasi builds stay single-threaded: Debian's wasi-libc has no wasi-threads"

#else
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static inline void lock_take(void) { pthread_mutex_lock(&lock); }
static inline void lock_give(void) { pthread_mutex_unlock(&lock); }
#endif

TAGALLOC_EXPORT(tagalloc_malloc) void *tagalloc_malloc(size_t request) {
    lock_take();
    void *payload = tagalloc_unlocked_malloc(request);
    lock_give();
    return payload;
}

TAGALLOC_EXPORT(tagalloc_free) void tagalloc_free(void *payload) {
    lock_take();
    tagalloc_unlocked_free(payload);
    lock_give();
}

TAGALLOC_EXPORT(tagalloc_calloc) void *tagalloc_calloc(size_t count, size_t size) {
    lock_take();
    void *payload = tagalloc_unlocked_calloc(count, size);
    lock_give();
    return payload;
}

TAGALLOC_EXPORT(tagalloc_realloc) void *tagalloc_realloc(void *payload, size_t request) {
    lock_take();
    payload = tagalloc_unlocked_realloc(payload, request);
    lock_give();
    return payload;
}

TAGALLOC_EXPORT(tagalloc_aligned_alloc)
void *tagalloc_aligned_alloc(size_t alignment, size_t request) {
    lock_take();
    void *payload = tagalloc_unlocked_aligned_alloc(alignment, request);
    lock_give();
    return payload;
}

TAGALLOC_EXPORT(tagalloc_usable_size) size_t tagalloc_usable_size(const void *payload) {
    lock_take();
    size_t bytes = tagalloc_unlocked_usable_size(payload);
    lock_give();
    return bytes;
}

TAGALLOC_EXPORT(tagalloc_set_policy) int tagalloc_set_policy(int policy) {
    lock_take();
    int previous = tagalloc_unlocked_set_policy(policy);
    lock_give();
    return previous;
}

TAGALLOC_EXPORT(tagalloc_get_policy) int tagalloc_get_policy(void) {
    lock_take();
    int policy = tagalloc_unlocked_get_policy();
    lock_give();
    return policy;
}

TAGALLOC_EXPORT(tagalloc_set_coalescing) int tagalloc_set_coalescing(int mode) {
    lock_take();
    int previous = tagalloc_unlocked_set_coalescing(mode);
    lock_give();
    return previous;
}

TAGALLOC_EXPORT(tagalloc_get_coalescing) int tagalloc_get_coalescing(void) {
    lock_take();
    int mode = tagalloc_unlocked_get_coalescing();
    lock_give();
    return mode;
}

TAGALLOC_EXPORT(tagalloc_rover) uintptr_t tagalloc_rover(void) {
    lock_take();
    uintptr_t rover = tagalloc_unlocked_rover();
    lock_give();
    return rover;
}

TAGALLOC_EXPORT(tagalloc_set_heap_limit) size_t tagalloc_set_heap_limit(size_t bytes) {
    lock_take();
    size_t previous = tagalloc_unlocked_set_heap_limit(bytes);
    lock_give();
    return previous;
}

TAGALLOC_EXPORT(tagalloc_reset) void tagalloc_reset(void) {
    lock_take();
    tagalloc_unlocked_reset();
    lock_give();
}

TAGALLOC_EXPORT(tagalloc_walk) size_t tagalloc_walk(tagalloc_chunk *out, size_t max) {
    lock_take();
    size_t chunks = tagalloc_unlocked_walk(out, max);
    lock_give();
    return chunks;
}

TAGALLOC_EXPORT(tagalloc_walk_from)
size_t tagalloc_walk_from(uintptr_t payload, tagalloc_chunk *out, size_t max) {
    lock_take();
    size_t chunks = tagalloc_unlocked_walk_from(payload, out, max);
    lock_give();
    return chunks;
}

TAGALLOC_EXPORT(tagalloc_get_stats) void tagalloc_get_stats(tagalloc_stats *out) {
    lock_take();
    tagalloc_unlocked_get_stats(out);
    lock_give();
}

TAGALLOC_EXPORT(tagalloc_check) int tagalloc_check(void) {
    lock_take();
    int invariant = tagalloc_unlocked_check();
    lock_give();
    return invariant;
}

TAGALLOC_EXPORT(tagalloc_check_where) uintptr_t tagalloc_check_where(void) {
    lock_take();
    uintptr_t where = tagalloc_unlocked_check_where();
    lock_give();
    return where;
}

TAGALLOC_EXPORT(tagalloc_last_error) int tagalloc_last_error(void) {
    lock_take();
    int error = tagalloc_unlocked_last_error();
    lock_give();
    return error;
}

TAGALLOC_EXPORT(tagalloc_set_error_handler)
tagalloc_error_handler *tagalloc_set_error_handler(tagalloc_error_handler *handler) {
    lock_take();
    tagalloc_error_handler *previous = tagalloc_unlocked_set_error_handler(handler);
    lock_give();
    return previous;
}

TAGALLOC_EXPORT(tagalloc_events) const tagalloc_event *tagalloc_events(size_t *count) {
    lock_take();
    const tagalloc_event *events = tagalloc_unlocked_events(count);
    lock_give();
    return events;
}

TAGALLOC_EXPORT(tagalloc_set_events) bool tagalloc_set_events(bool on) {
    lock_take();
    bool previous = tagalloc_unlocked_set_events(on);
    lock_give();
    return previous;
}

#if defined(__wasm__)
#include "names.h" /* the standard names, as aliases of the locked calls above */
#endif
