/* The threads benchmark's driver (bench/threads.js runs it): THREADS threads, the main one among
 * them, each doing OPS allocator calls on its own set of slots at once, on one shared heap.
 *   threads THREADS OPS PASSES
 * Each op picks a random slot of the thread's 1,024: an empty slot gets malloc of 1 to 512 bytes
 * (one in eight a realloc of the block it had), a full one is freed. Both ends of every block are
 * written and read back, so the calls cannot be optimised away and a broken allocator shows.
 * Prints one JSON line a pass: {"threads": n, "ops": all threads' ops, "ms": the pass's wall time}.
 * Linked against each allocator with and without -pthread (then THREADS must be 1). */
#include <emscripten/emscripten.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__EMSCRIPTEN_PTHREADS__)
#include <pthread.h>
#endif

#define SLOTS 1024
#define THREADS_MAX 8

typedef struct worker {
    uint64_t rng;
    long ops;
    unsigned long sum; /* of the bytes read back: printed, so nothing is dead code */
    unsigned char *slot[SLOTS];
    uint32_t request[SLOTS];
} worker;

static worker workers[THREADS_MAX];
static long ops_per_thread;

static uint64_t next_random(worker *w) { /* xorshift64 */
    w->rng ^= w->rng << 13;
    w->rng ^= w->rng >> 7;
    w->rng ^= w->rng << 17;
    return w->rng;
}

static unsigned char mark_of(uint32_t request) { return (unsigned char)(request * 7 + 1); }

static void mark(unsigned char *p, uint32_t request) {
    p[0] = mark_of(request);
    p[request - 1] = mark_of(request);
}

static void run(worker *w) {
    for (long op = 0; op < ops_per_thread; op++) {
        uint64_t r = next_random(w);
        unsigned i = (unsigned)(r % SLOTS);
        unsigned char *p = w->slot[i];
        uint32_t request = w->request[i];
        if (p) {
            if (p[0] != mark_of(request) || p[request - 1] != mark_of(request)) abort();
            w->sum += p[0];
        }
        if (p && (r >> 32) % 8 == 0) { /* realloc: a full slot changes size */
            uint32_t grown = 1 + (uint32_t)(r >> 40) % 512;
            p = realloc(p, grown);
            if (!p) abort();
            mark(p, grown);
            w->slot[i] = p;
            w->request[i] = grown;
        } else if (p) {
            free(p);
            w->slot[i] = NULL;
        } else {
            request = 1 + (uint32_t)(r >> 40) % 512;
            p = malloc(request);
            if (!p) abort();
            mark(p, request);
            w->slot[i] = p;
            w->request[i] = request;
        }
    }
    w->ops += ops_per_thread;
}

#if defined(__EMSCRIPTEN_PTHREADS__)
static pthread_barrier_t start;

static void *work(void *arg) {
    pthread_barrier_wait(&start);
    run(arg);
    return NULL;
}
#endif

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    ops_per_thread = argc > 2 ? atol(argv[2]) : 1000000;
    int passes = argc > 3 ? atoi(argv[3]) : 3;
#if !defined(__EMSCRIPTEN_PTHREADS__)
    if (threads != 1) {
        printf("threads: built without -pthread, so THREADS is 1\n");
        return 2;
    }
#endif
    if (threads < 1 || threads > THREADS_MAX) return 2;
    for (int i = 0; i < threads; i++) workers[i].rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
    unsigned long sum = 0;
    for (int pass = 0; pass < passes; pass++) {
        long ops_before = 0;
        for (int i = 0; i < threads; i++) ops_before += workers[i].ops;
        double t0;
#if defined(__EMSCRIPTEN_PTHREADS__)
        pthread_t thread[THREADS_MAX];
        pthread_barrier_init(&start, NULL, (unsigned)threads);
        for (int i = 1; i < threads; i++)
            if (pthread_create(&thread[i], NULL, work, &workers[i])) abort();
        pthread_barrier_wait(&start);
        t0 = emscripten_get_now();
        run(&workers[0]);
        for (int i = 1; i < threads; i++) pthread_join(thread[i], NULL);
        pthread_barrier_destroy(&start);
#else
        t0 = emscripten_get_now();
        run(&workers[0]);
#endif
        double ms = emscripten_get_now() - t0;
        long ops = -ops_before;
        for (int i = 0; i < threads; i++) ops += workers[i].ops;
        printf("{\"threads\": %d, \"ops\": %ld, \"ms\": %.3f}\n", threads, ops, ms);
    }
    for (int i = 0; i < threads; i++) sum += workers[i].sum;
    printf("{\"sum\": %lu}\n", sum);
    return 0;
}
