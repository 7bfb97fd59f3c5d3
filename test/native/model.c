/* Randomized model test: random malloc/calloc/realloc/aligned_alloc/free against a model of live
 * blocks. After every operation tagalloc_check() must pass; payloads are aligned, never overlap,
 * and the fill written at allocation is intact at free and across realloc.
 *   model POLICY COALESCING OPERATIONS SEED      (policy: first next best segregated,
 *                                                  coalescing: immediate deferred)
 * Prints one line "N passed, 0 failed" style summary; exits non-zero on the first failure. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tagalloc.h"

#define SLOTS 256

typedef struct block {
    unsigned char *payload;
    size_t request;
    unsigned char fill;
} block;

static block live[SLOTS];
static uint64_t rng_state;
static unsigned long step;

static uint32_t rng(void) { /* xorshift64*: the seed alone fixes the whole run */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static void fail(const char *what, unsigned long seed) {
    printf("FAIL at step %lu: %s (error %d, check %d at %#lx)\n", step, what, tagalloc_last_error(), tagalloc_check(),
           (unsigned long)tagalloc_check_where());
    printf("repeat with seed %lu\n", seed);
    exit(1);
}

static size_t random_request(void) {
    uint32_t r = rng() % 100;
    if (r < 60) return rng() % 64;         /* many small blocks */
    if (r < 90) return rng() % 1024;       /* some medium */
    if (r < 99) return rng() % 16384;      /* a few large */
    return rng() % 200000;                 /* rare huge: forces growth */
}

static int find(const char *policy, const char *const names[], int n) {
    for (int i = 0; i < n; i++)
        if (!strcmp(policy, names[i])) return i;
    return -1;
}

static void fill(block *b) {
    b->fill = (unsigned char)(rng() | 1);
    memset(b->payload, b->fill, b->request);
}

static bool intact(const block *b, size_t bytes) {
    for (size_t i = 0; i < bytes; i++)
        if (b->payload[i] != b->fill) return false;
    return true;
}

static bool overlaps(const block *b) {
    uintptr_t lo = (uintptr_t)b->payload, hi = lo + tagalloc_usable_size(b->payload);
    for (int i = 0; i < SLOTS; i++) {
        const block *o = &live[i];
        if (o == b || !o->payload) continue;
        uintptr_t olo = (uintptr_t)o->payload, ohi = olo + tagalloc_usable_size(o->payload);
        if (lo < ohi && olo < hi) return true;
    }
    return false;
}

int main(int argc, char **argv) {
    static const char *const policies[] = {"first", "next", "best", "segregated"};
    static const char *const modes[] = {"immediate", "deferred"};
    if (argc != 5) {
        fprintf(stderr, "usage: model POLICY COALESCING OPERATIONS SEED\n");
        return 2;
    }
    int policy = find(argv[1], policies, 4), mode = find(argv[2], modes, 2);
    unsigned long operations = strtoul(argv[3], 0, 10), seed = strtoul(argv[4], 0, 10);
    if (policy < 0 || mode < 0) return 2;
    rng_state = seed * 0x9E3779B97F4A7C15ull + 1;
    tagalloc_set_policy(policy);
    tagalloc_set_coalescing(mode);

    for (step = 0; step < operations; step++) {
        block *b = &live[rng() % SLOTS];
        uint32_t choice = rng() % 100;
        if (b->payload && choice < 45) {
            if (!intact(b, b->request)) fail("fill changed before free", seed);
            tagalloc_free(b->payload);
            b->payload = 0;
        } else if (b->payload && choice < 70) {
            size_t request = random_request();
            unsigned char *moved = tagalloc_realloc(b->payload, request);
            if (!moved) fail("realloc failed", seed);
            b->payload = moved;
            if (!intact(b, request < b->request ? request : b->request))
                fail("realloc lost contents", seed);
            b->request = request;
            fill(b);
        } else if (b->payload) {
            if (tagalloc_usable_size(b->payload) < b->request) fail("usable size too small", seed);
            continue;
        } else {
            size_t request = random_request(), alignment = 0;
            if (choice < 10) {
                alignment = (size_t)1 << (rng() % 13); /* 1 B to 4 KiB */
                b->payload = tagalloc_aligned_alloc(alignment, request);
            } else if (choice < 20) {
                b->payload = tagalloc_calloc(request, 1);
                for (size_t i = 0; b->payload && i < request; i++)
                    if (b->payload[i]) fail("calloc returned non-zero bytes", seed);
            } else {
                b->payload = tagalloc_malloc(request);
            }
            if (!b->payload) fail("allocation failed", seed);
            if ((uintptr_t)b->payload % (alignment > TAGALLOC_ALIGNMENT ? alignment
                                                                       : TAGALLOC_ALIGNMENT))
                fail("payload misaligned", seed);
            b->request = request;
            if (tagalloc_usable_size(b->payload) < request) fail("usable size too small", seed);
            if (overlaps(b)) fail("payloads overlap", seed);
            fill(b);
        }
        if (tagalloc_check() != TAGALLOC_CHECK_OK) fail("heap check", seed);
    }
    for (int i = 0; i < SLOTS; i++) {
        if (!live[i].payload) continue;
        if (!intact(&live[i], live[i].request)) fail("fill changed before final free", seed);
        tagalloc_free(live[i].payload);
        if (tagalloc_check() != TAGALLOC_CHECK_OK) fail("heap check", seed);
    }
    tagalloc_set_coalescing(TAGALLOC_COALESCE_IMMEDIATE);
    tagalloc_stats stats;
    tagalloc_get_stats(&stats);
    if (stats.in_use != 0 || stats.free_chunks != 1 || stats.bad_frees != 0)
        fail("heap is not one free chunk after everything was freed", seed);
    printf("model %s %s: %lu operations, seed %lu, peak heap %zu bytes\n", argv[1], argv[2],
           operations, seed, stats.peak_heap);
    return 0;
}
