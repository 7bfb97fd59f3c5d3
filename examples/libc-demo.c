/* Allocates only through libc (strdup, qsort over malloc'd records, stdio files, a buffer grown
 * with realloc well past the initial memory), then shows that tagalloc served all of it.
 * Linked against build/wasi/libtagalloc.a or build/emscripten/libtagalloc.a by build.sh.
 * Prints `tagalloc served libc: yes` and exits 0 only when every proof below holds. */
#define _POSIX_C_SOURCE 200809L /* strdup, posix_memalign */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tagalloc.h"

#define RECORDS 2000
#define PAGE_BYTES 65536u

typedef struct record {
    char *name; /* from strdup: libc's own call to malloc */
    unsigned score;
} record;

static int failures;

static void prove(bool holds, const char *what) {
    printf("  %-52s %s\n", what, holds ? "yes" : "NO");
    if (!holds) failures++;
}

/* True when `p` is the payload of a used chunk in tagalloc's heap. */
static bool is_tagalloc_chunk(const void *p) {
    tagalloc_chunk c;
    return tagalloc_walk_from((uintptr_t)p, &c, 1) > 0 && c.payload == (uintptr_t)p && c.used;
}

static int by_score_then_name(const void *a, const void *b) {
    const record *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    return strcmp(x->name, y->name);
}

static size_t memory_bytes(void) { return __builtin_wasm_memory_size(0) * PAGE_BYTES; }

int main(void) {
    size_t memory_at_start = memory_bytes();
    tagalloc_stats before, after;
    tagalloc_get_stats(&before);

    /* strdup and qsort over malloc'd records */
    record *records = malloc(RECORDS * sizeof *records);
    char scratch[32];
    for (unsigned i = 0; i < RECORDS; i++) {
        snprintf(scratch, sizeof scratch, "record-%u", i * 7919u % RECORDS);
        records[i].name = strdup(scratch);
        records[i].score = i * 2654435761u % 1000u;
    }
    qsort(records, RECORDS, sizeof *records, by_score_then_name);
    bool sorted = true;
    for (unsigned i = 1; i < RECORDS; i++) {
        sorted = sorted && by_score_then_name(&records[i - 1], &records[i]) <= 0;
    }
    printf("qsort: %d records, first %s (%u), last %s (%u)\n", RECORDS, records[0].name,
           records[0].score, records[RECORDS - 1].name, records[RECORDS - 1].score);

    /* stdio: fopen allocates the FILE and its buffer with malloc */
    int lines = -1;
    FILE *file = fopen("/tmp/libc-demo.txt", "w+");
    if (file) {
        for (unsigned i = 0; i < 10; i++) {
            fprintf(file, "%s %u\n", records[i].name, records[i].score);
        }
        rewind(file);
        lines = 0;
        while (fgets(scratch, sizeof scratch, file)) lines++;
        fclose(file);
        remove("/tmp/libc-demo.txt");
        printf("file: wrote and read back %d lines in /tmp/libc-demo.txt\n", lines);
    } else {
        printf("file: /tmp is not available (errno %d), skipped\n", errno);
    }

    /* realloc: a buffer grown well past the initial memory, so memory.grow must happen */
    size_t target = memory_at_start + (4u << 20), length = 1024, steps = 0, moves = 0;
    unsigned char *buffer = malloc(length);
    for (size_t i = 0; i < length; i++) buffer[i] = (unsigned char)(i * 31);
    while (length < target) {
        size_t grown = length + length / 2;
        unsigned char *moved = realloc(buffer, grown);
        if (!moved) break;
        moves += moved != buffer;
        buffer = moved;
        for (size_t i = length; i < grown; i++) buffer[i] = (unsigned char)(i * 31);
        length = grown;
        steps++;
    }
    bool intact = true;
    for (size_t i = 0; i < length; i++) intact = intact && buffer[i] == (unsigned char)(i * 31);
    printf("realloc: 1024 -> %zu bytes in %zu steps (%zu moves); memory %zu -> %zu bytes\n", length,
           steps, moves, memory_at_start, memory_bytes());

    /* the allocator's error reporting, as a libc user sees it */
    void *(*volatile opaque_malloc)(size_t) = malloc; /* the compiler may not assume errno stays */
    errno = 0;
    void *huge = opaque_malloc(SIZE_MAX);
    int huge_errno = errno;
    void *aligned = NULL;
    int aligned_result = posix_memalign(&aligned, 4096, 100);
    void *unaligned = NULL;
    int unaligned_result = posix_memalign(&unaligned, 24, 100);

    tagalloc_get_stats(&after);
    printf("stats: heap_size %zu, in_use %zu, free %zu bytes in %zu chunks (largest %zu), "
           "peak_heap %zu, peak_in_use %zu, bad_frees %zu\n",
           after.heap_size, after.in_use, after.free, after.free_chunks, after.largest_free,
           after.peak_heap, after.peak_in_use, after.bad_frees);

    printf("proofs:\n");
    prove(is_tagalloc_chunk(records), "malloc's records are a tagalloc chunk");
    prove(is_tagalloc_chunk(records[0].name), "strdup's string is a tagalloc chunk");
    prove(is_tagalloc_chunk(buffer), "realloc's buffer is a tagalloc chunk");
    prove(after.in_use > before.in_use + length, "in_use grew by more than the buffer");
    prove(sorted && intact && lines != 0, "qsort sorted, the buffer and the file are intact");
    prove(memory_bytes() > memory_at_start && after.heap_size > length, "memory grew for the heap");
    prove(huge == NULL && huge_errno == ENOMEM, "malloc(SIZE_MAX) is NULL with errno ENOMEM");
    prove(aligned_result == 0 && (uintptr_t)aligned % 4096 == 0 && is_tagalloc_chunk(aligned),
          "posix_memalign(4096) is an aligned tagalloc chunk");
    prove(unaligned_result == EINVAL && unaligned == NULL, "posix_memalign(24) is EINVAL");
    prove(after.bad_frees == 0, "no bad frees");
    bool aligned16 = (uintptr_t)records % 16 == 0 && (uintptr_t)buffer % 16 == 0;
    for (unsigned i = 0; i < RECORDS; i++) aligned16 &= (uintptr_t)records[i].name % 16 == 0;
    prove(aligned16, "every payload is 16-byte aligned, on Emscripten too");

    for (unsigned i = 0; i < RECORDS; i++) free(records[i].name);
    free(records);
    free(buffer);
    free(aligned);
    tagalloc_stats end;
    tagalloc_get_stats(&end);
    prove(end.in_use < after.in_use - length, "freeing gave the bytes back to tagalloc");
    prove(tagalloc_check() == TAGALLOC_CHECK_OK, "tagalloc_check() finds every invariant holds");
    printf("tagalloc served libc: %s\n", failures == 0 ? "yes" : "no");
    return failures == 0 ? 0 : 1;
}
