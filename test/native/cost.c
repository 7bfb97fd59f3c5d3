/* Not a test: the workload behind the cost of the release checks in docs/errors.md. It links the
 * release library (build/native/libtagalloc.a, -O2 -g) and makes 2,000,000 calls: malloc, free
 * and realloc of small blocks, seeded, so that callgrind counts the same instructions each run.
 *   valgrind --tool=callgrind --callgrind-out-file=build/native/cost.out build/native/cost
 *   callgrind_annotate --auto=yes --show-percs=no build/native/cost.out src/heap.c
 * chunk_verify() is inlined into its callers; the annotation still counts its lines. */
#include <stdint.h>
#include <stdio.h>

#include "../../src/tagalloc.h"

#define SLOTS 4096
#define CALLS 2000000

static void *slot[SLOTS];
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rng(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

int main(void) {
    unsigned long frees = 0, reallocs = 0, mallocs = 0;
    for (long i = 0; i < CALLS; i++) {
        void **s = &slot[rng() % SLOTS];
        uint32_t r = rng();
        size_t request = r % 4 ? r >> 8 & 63 : r >> 8 & 1023; /* mostly small, some medium */
        if (!*s) {
            *s = tagalloc_malloc(request);
            mallocs++;
        } else if (r % 8 == 0) {
            *s = tagalloc_realloc(*s, request);
            reallocs++;
        } else {
            tagalloc_free(*s);
            *s = 0;
            frees++;
        }
    }
    printf("%lu mallocs, %lu frees, %lu reallocs; check %d\n", mallocs, frees, reallocs,
           tagalloc_check());
    return 0;
}
