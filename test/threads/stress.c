/* Threads that share one heap: each allocates, fills, checks and frees blocks at random while the
 * others do the same, hands blocks to the others through a shared queue, and keeps large blocks
 * alive so that the heap grows while they run. At the end tagalloc_check() must pass.
 *   stress [THREADS [SEED [OPS]]]        THREADS includes the main thread, which works too
 * Under Emscripten (the -mt drop-in) it allocates through libc's names, so libc.c's forwarding
 * and errno are tested too; natively (the core with src/lock.c's pthread mutex, under
 * ThreadSanitizer) through tagalloc_*, as native builds leave the host's malloc alone.
 * The first broken block stops every thread; it exits 1 then, and 0 with "stress: ok" at the end.
 * No thread but the main one ends the program: exit() from a worker waits for the main thread. */
#define _POSIX_C_SOURCE 200112L
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tagalloc.h"

#if defined(__EMSCRIPTEN__)
#include <emscripten/heap.h>
#define ALLOC_MALLOC malloc
#define ALLOC_CALLOC calloc
#define ALLOC_REALLOC realloc
#define ALLOC_ALIGNED aligned_alloc
#define ALLOC_FREE free
static size_t memory_bytes(void) { return emscripten_get_heap_size(); }
#else
#define ALLOC_MALLOC tagalloc_malloc
#define ALLOC_CALLOC tagalloc_calloc
#define ALLOC_REALLOC tagalloc_realloc
#define ALLOC_ALIGNED tagalloc_aligned_alloc
#define ALLOC_FREE tagalloc_free
static size_t memory_bytes(void) { /* the arena is fixed: the heap's own size stands in */
    tagalloc_stats stats;
    tagalloc_get_stats(&stats);
    return stats.heap_size;
}
#endif

#define THREADS_MAX 8
#define LIVE_MAX 256                /* small blocks a thread holds at once */
#define BIG_MAX 16                  /* large blocks a thread holds at once */
#define BIG_BYTES (256u << 10)      /* a large block is up to this many bytes */
#define QUEUE_MAX 64                /* blocks in flight between threads */

typedef struct block {
    unsigned char *payload;
    size_t request;
    unsigned char fill; /* byte i of the payload is (unsigned char)(fill + i) */
    int owner;          /* the thread that holds it: its allocator, or the last to take it */
} block;

typedef struct worker {
    pthread_t thread;
    int index;
    uint64_t rng;
    long ops, handed_off, taken_from_others, grew, refused_alignments, inspections;
    block live[LIVE_MAX];
    block big[BIG_MAX];
} worker;

static worker workers[THREADS_MAX];
static int thread_count = 4;
static long ops_per_thread = 200000;
static pthread_barrier_t start;

/* Blocks in flight, oldest first: a thread takes the oldest that another thread put there. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static block queue[QUEUE_MAX];
static int queue_length;

static uint64_t next_random(worker *w) { /* xorshift64 */
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static int failed; /* set once, by the first thread that finds a broken block; all then stop */

static void fail(const char *what, const block *b, int thread) {
    if (__atomic_exchange_n(&failed, 1, __ATOMIC_SEQ_CST)) return;
    printf("stress: FAIL thread %d: %s (block %p, %zu bytes, from thread %d)\n", thread, what,
           (void *)b->payload, b->request, b->owner);
}

static void fill(block *b) {
    for (size_t i = 0; i < b->request; i++) b->payload[i] = (unsigned char)(b->fill + i);
}

/* Every byte of the block's payload as written, up to `request` bytes. */
static void verify(const block *b, size_t request, int thread) {
    for (size_t i = 0; i < request; i++) {
        if (b->payload[i] != (unsigned char)(b->fill + i)) {
            fail("payload overwritten", b, thread);
            return;
        }
    }
}

static size_t small_request(worker *w) {
    return 1 + next_random(w) % 300;
}

/* A fresh block of `request` bytes by one of the four allocation calls, filled. */
static int allocate(worker *w, block *b, size_t request) {
    uint64_t r = next_random(w);
    b->request = request;
    b->owner = w->index;
    b->fill = (unsigned char)(r >> 32);
    switch (r % 4) {
    case 0:
        b->payload = ALLOC_MALLOC(request);
        break;
    case 1: /* calloc's zeroes, checked before the fill replaces them */
        b->payload = ALLOC_CALLOC(1, request);
        if (!b->payload) break;
        for (size_t i = 0; i < request && !failed; i++)
            if (b->payload[i]) fail("calloc payload not zero", b, w->index);
        break;
    case 2: {
        size_t alignment = (size_t)16 << (r >> 8) % 9; /* 16 bytes to 4 KiB */
        b->payload = ALLOC_ALIGNED(alignment, request);
        if (b->payload && (uintptr_t)b->payload % alignment)
            fail("aligned_alloc result misaligned", b, w->index);
        break;
    }
    default:
        b->payload = ALLOC_REALLOC(NULL, request);
        break;
    }
    if (!b->payload) return 0;
    fill(b);
    return 1;
}

static void release(worker *w, block *b) {
    verify(b, b->request, w->index);
    ALLOC_FREE(b->payload);
    b->payload = NULL;
}

/* Opaque to the optimizer: clang takes aligned_alloc for a builtin that leaves errno alone, and
 * would fold the errno read below to the 0 written before the call. */
static void *(*volatile call_aligned)(size_t, size_t) = ALLOC_ALIGNED;

/* A bad alignment is refused; under Emscripten with EINVAL in this thread's errno, whatever the
 * other threads' calls did meanwhile (libc.c takes it from the arguments, not the heap). */
static void refuse_alignment(worker *w) {
    errno = 0;
    void *payload = call_aligned(48, 16);
#if defined(__EMSCRIPTEN__)
    int refused = !payload && errno == EINVAL;
#else
    int refused = !payload;
#endif
    block none = {payload, 16, 0, w->index};
    if (!refused) fail("aligned_alloc(48, 16) was not refused with EINVAL", &none, w->index);
    w->refused_alignments++;
}

static void resize(worker *w, block *b) {
    size_t request = small_request(w);
    size_t keep = request < b->request ? request : b->request;
    unsigned char *payload = ALLOC_REALLOC(b->payload, request);
    if (!payload) return; /* b is untouched */
    b->payload = payload;
    verify(b, keep, w->index);
    b->request = request;
    fill(b);
}

/* Gives one of this thread's blocks to whichever thread takes it next. */
static void hand_off(worker *w, block *b) {
    pthread_mutex_lock(&queue_lock);
    if (queue_length < QUEUE_MAX) {
        queue[queue_length++] = *b;
        b->payload = NULL;
        w->handed_off++;
    }
    pthread_mutex_unlock(&queue_lock);
}

/* Takes another thread's block from the queue into slot b (empty), checking it; 0 when there is
 * none. The taker then frees, resizes or hands off the block as if it were its own. */
static int take(worker *w, block *b) {
    pthread_mutex_lock(&queue_lock);
    int at = 0;
    while (at < queue_length && queue[at].owner == w->index) at++;
    int got = at < queue_length;
    if (got) {
        *b = queue[at];
        __builtin_memmove(&queue[at], &queue[at + 1], (size_t)(queue_length - at - 1) * sizeof *b);
        queue_length--;
    }
    pthread_mutex_unlock(&queue_lock);
    if (!got) return 0;
    verify(b, b->request, w->index);
    w->taken_from_others++;
    b->owner = w->index;
    return 1;
}

/* Large blocks, held for a while: the heap has to grow for them while other threads allocate. */
static void churn_big(worker *w) {
    block *b = &w->big[next_random(w) % BIG_MAX];
    if (b->payload) {
        release(w, b);
        return;
    }
    size_t before = memory_bytes();
    if (!allocate(w, b, 16384 + next_random(w) % (BIG_BYTES - 16384))) {
        fail("large allocation failed", b, w->index);
    }
    if (memory_bytes() > before) w->grew++;
}

/* The introspection calls run under the same lock: a check or a walk made while other threads
 * allocate sees a whole heap, never one halfway through another thread's call. */
static void inspect(worker *w) {
    tagalloc_chunk first[8];
    size_t chunks = tagalloc_walk(first, 8);
    block none = {NULL, 0, 0, w->index};
    if (chunks == 0 || first[0].size == 0) fail("tagalloc_walk saw no heap", &none, w->index);
    int invariant = tagalloc_check();
    if (invariant != TAGALLOC_CHECK_OK) {
        printf("stress: thread %d: tagalloc_check() = %d while others allocate\n", w->index,
               invariant);
        fail("tagalloc_check", &none, w->index);
    }
    w->inspections++;
}

static void *work(void *arg) {
    worker *w = arg;
    pthread_barrier_wait(&start);
    for (long op = 0; op < ops_per_thread && !__atomic_load_n(&failed, __ATOMIC_RELAXED); op++) {
        uint64_t r = next_random(w);
        block *b = &w->live[r % LIVE_MAX];
        unsigned pick = (unsigned)(r >> 40) % 1000;
        if (pick < 4) {
            churn_big(w);
        } else if (pick < 5) {
            refuse_alignment(w);
        } else if (pick < 6) {
            inspect(w);
        } else if (!b->payload) {
            if (pick < 100 ? !take(w, b) : 1) {
                if (!allocate(w, b, small_request(w))) fail("small allocation failed", b, w->index);
            }
        } else if (pick < 150) {
            hand_off(w, b);
        } else if (pick < 400) {
            resize(w, b);
        } else {
            release(w, b);
        }
        w->ops++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) thread_count = atoi(argv[1]);
    unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 10) : 1;
    if (argc > 3) ops_per_thread = atol(argv[3]);
    if (thread_count < 1 || thread_count > THREADS_MAX) {
        printf("stress: THREADS is 1 to %d\n", THREADS_MAX);
        return 2;
    }
    pthread_barrier_init(&start, NULL, (unsigned)thread_count);
    size_t memory_before = memory_bytes();
    for (int i = 0; i < thread_count; i++) {
        workers[i].index = i;
        workers[i].rng = 0x9e3779b97f4a7c15ull * (seed * THREADS_MAX + (unsigned)i + 1);
    }
    for (int i = 1; i < thread_count; i++) {
        if (pthread_create(&workers[i].thread, NULL, work, &workers[i])) {
            printf("stress: FAIL pthread_create\n");
            return 1;
        }
    }
    work(&workers[0]);
    for (int i = 1; i < thread_count; i++) pthread_join(workers[i].thread, NULL);

    long ops = 0, handed_off = 0, taken = 0, grew = 0, growers = 0, refused = 0, inspections = 0;
    for (int i = 0; i < thread_count; i++) {
        ops += workers[i].ops;
        handed_off += workers[i].handed_off;
        taken += workers[i].taken_from_others;
        grew += workers[i].grew;
        growers += workers[i].grew > 0;
        refused += workers[i].refused_alignments;
        inspections += workers[i].inspections;
    }
    int invariant = tagalloc_check(); /* with every thread's blocks still live */
    printf("stress: %d threads, seed %lu, %ld ops, %ld blocks handed off, %ld taken by another "
           "thread (to free or resize there), %ld refused alignments, %ld checks while "
           "allocating\n",
           thread_count, seed, ops, handed_off, taken, refused, inspections);
    printf("stress: memory %zu -> %zu bytes, grown %ld times by %ld threads\n", memory_before,
           memory_bytes(), grew, growers);
    if (failed) return 1;
    /* The main thread frees what every thread left, checking it: blocks of other threads. */
    for (int i = 0; i < thread_count; i++) {
        for (int j = 0; j < LIVE_MAX; j++)
            if (workers[i].live[j].payload) release(&workers[0], &workers[i].live[j]);
        for (int j = 0; j < BIG_MAX; j++)
            if (workers[i].big[j].payload) release(&workers[0], &workers[i].big[j]);
    }
    while (queue_length > 0) release(&workers[0], &queue[--queue_length]);
    if (failed) return 1;
    if (invariant == TAGALLOC_CHECK_OK) invariant = tagalloc_check();
    if (invariant != TAGALLOC_CHECK_OK) {
        printf("stress: FAIL tagalloc_check() = %d at %#lx\n", invariant,
               (unsigned long)tagalloc_check_where());
        return 1;
    }
    tagalloc_stats stats;
    tagalloc_get_stats(&stats);
    printf("stress: check ok; in_use %zu bytes, bad_frees %zu\n", stats.in_use, stats.bad_frees);
    if (stats.bad_frees) return 1;
    printf("stress: ok\n");
    return 0;
}
