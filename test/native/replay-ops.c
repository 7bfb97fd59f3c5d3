/* The native half of test/differential.test.js: runs operations read from stdin, one a line, and
 * after each prints its result and the chunk list, as offsets from the heap's start, so that the
 * same sequence through tagalloc.wasm in node can be compared line for line.
 *   base B             first line: the heap's base lies B bytes past a 64 KiB boundary, as
 *                      __heap_base does in the wasm module (aligned_alloc's gaps then agree)
 *   policy P | coalescing M | limit BYTES (SIZE_MAX: none) | reset
 *   malloc ID N | calloc ID COUNT SIZE | aligned ID ALIGNMENT N | realloc ID N | free ID
 *   badin ID K         free() of a pointer inside block ID's payload, or misaligned in it
 *   badout K           free() of an aligned pointer K * 16 bytes past the heap's end
 *   refree ID          free(ID) and then free(ID) again: the second is refused
 * Output, a line an operation: "RESULT | offset:size:used offset:size:used ..." where RESULT is
 * the payload's offset, "null", "ok", or the refusal's code. This file replaces src/grow.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/heap.h"

#define ARENA_BYTES (64u << 20)
#define IDS 4096

static _Alignas(65536) unsigned char arena[ARENA_BYTES + 65536];
static uintptr_t base = (uintptr_t)arena;

uintptr_t grow_base(void) { return base; }

bool grow_reserve(uintptr_t end) { return end <= (uintptr_t)arena + sizeof arena; }

static const char *const CODES[] = {"NONE", "DOUBLE_FREE", "INVALID_POINTER", "CORRUPTED_CHUNK",
                                    "OUT_OF_MEMORY", "BAD_ALIGNMENT"};
static unsigned char *payloads[IDS];
static tagalloc_chunk walk[1 << 16];

static uintptr_t heap_start(void) {
    tagalloc_stats stats;
    tagalloc_get_stats(&stats);
    return stats.heap_start;
}

static void result(void *payload) {
    if (payload) printf("%lu", (unsigned long)((uintptr_t)payload - heap_start()));
    else printf("null");
}

int main(void) {
    char line[256], op[32];
    unsigned long a, b, c;
    while (fgets(line, sizeof line, stdin)) {
        int n = sscanf(line, "%31s %lu %lu %lu", op, &a, &b, &c);
        if (n < 1) continue;
        if (n >= 2 && a >= IDS && strcmp(op, "base") && strcmp(op, "limit") && strcmp(op, "badout"))
            return fprintf(stderr, "replay-ops: id %lu out of range\n", a), 2;
        if (!strcmp(op, "base")) {
            base = (uintptr_t)arena + a % 65536;
            printf("ok");
        } else if (!strcmp(op, "policy")) {
            printf("%d", tagalloc_set_policy((int)a));
        } else if (!strcmp(op, "coalescing")) {
            printf("%d", tagalloc_set_coalescing((int)a));
        } else if (!strcmp(op, "limit")) {
            tagalloc_set_heap_limit(a);
            printf("ok");
        } else if (!strcmp(op, "reset")) {
            tagalloc_reset();
            memset(payloads, 0, sizeof payloads);
            printf("ok");
        } else if (!strcmp(op, "malloc")) {
            result(payloads[a] = tagalloc_malloc(b));
        } else if (!strcmp(op, "calloc")) {
            result(payloads[a] = tagalloc_calloc(b, c));
        } else if (!strcmp(op, "aligned")) {
            result(payloads[a] = tagalloc_aligned_alloc(b, c));
        } else if (!strcmp(op, "realloc")) {
            unsigned char *moved = tagalloc_realloc(payloads[a], b);
            if (moved) payloads[a] = moved; /* on failure the block stays where it was */
            result(moved);
        } else if (!strcmp(op, "free")) {
            tagalloc_free(payloads[a]);
            payloads[a] = 0;
            printf("ok");
        } else if (!strcmp(op, "badin")) { /* a used chunk of 16 bytes has no inside: misaligned */
            size_t size = tagalloc_usable_size(payloads[a]) + TAG_BYTES; /* 4 for a failed malloc */
            tagalloc_free((void *)((uintptr_t)payloads[a] +
                                   (size > ALIGN ? ALIGN * (1 + b % (size / ALIGN - 1))
                                                 : 1 + b % (ALIGN - 1))));
            printf("%s", CODES[tagalloc_last_error()]);
        } else if (!strcmp(op, "badout")) {
            tagalloc_stats stats;
            tagalloc_get_stats(&stats);
            tagalloc_free((void *)(stats.heap_start + stats.heap_size + ALIGN * a));
            printf("%s", CODES[tagalloc_last_error()]);
        } else if (!strcmp(op, "refree")) {
            tagalloc_free(payloads[a]);
            tagalloc_free(payloads[a]);
            payloads[a] = 0;
            printf("%s", CODES[tagalloc_last_error()]);
        } else {
            return fprintf(stderr, "replay-ops: unknown operation %s\n", op), 2;
        }
        if (tagalloc_check() != TAGALLOC_CHECK_OK) {
            printf(" | check %d\n", tagalloc_check());
            return 1;
        }
        size_t chunks = tagalloc_walk(walk, sizeof walk / sizeof walk[0]);
        uintptr_t start = heap_start();
        printf(" |");
        for (size_t i = 0; i < chunks && i < sizeof walk / sizeof walk[0]; i++)
            printf(" %lu:%lu:%d", (unsigned long)(walk[i].payload - start),
                   (unsigned long)walk[i].size, walk[i].used);
        printf("\n");
    }
    return 0;
}
