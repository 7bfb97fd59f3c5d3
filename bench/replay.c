/* The replay driver: one C file linked against each allocator the benchmark compares.
 *
 * JavaScript writes a whole trace into ops[] before any pass, so nothing is allocated around
 * the replay: every byte the allocator hands out is a byte the trace asked for. Each build
 * picks its allocator with one switch:
 *   (none)                  malloc, free, realloc of whatever libc the link brings
 *   -DREPLAY_BUMP=1         a bump allocator in this file (free does nothing): the driver's own
 *                           bytes, subtracted from every other build's .wasm size
 *   -DREPLAY_BUMP_FAULT=n   with REPLAY_BUMP, a bump that is wrong on purpose, so that a test can
 *                           see the checking pass notice: 1 overlaps payloads, 2 misaligns them,
 *                           3 writes a 4-byte tag over the end of the payload before
 *   -DREPLAY_POLICIES=1     also exports replay_set_policy and replay_set_coalescing (tagalloc)
 *   -DREPLAY_NATIVE=1       tagalloc_* names and a main() that reads a .rep file, for callgrind
 *
 * Two kinds of pass walk the same ops. replay_check() writes a fill pattern over every payload
 * and verifies it, the alignment, and that no two live payloads overlap; it also measures the
 * peak live payload bytes and the highest payload end. replay_run() only calls the allocator,
 * for timing. replay_release() frees what a pass left live, outside any timed region. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef REPLAY_OPS_MAX
#define REPLAY_OPS_MAX (1u << 20) /* ops in one trace: 8 MiB of static ops, below __heap_base */
#endif
#ifndef REPLAY_IDS_MAX
#define REPLAY_IDS_MAX (1u << 18) /* block ids in one trace */
#endif

#if defined(__wasm__)
#define REPLAY_EXPORT(name) __attribute__((export_name(#name), visibility("default")))
#else
#define REPLAY_EXPORT(name) __attribute__((noinline)) /* callgrind --toggle-collect=replay_run */
#endif

/* ---- The allocator under test ------------------------------------------------------------- */

#if REPLAY_BUMP
static void *bump_malloc(size_t request);
static void *bump_realloc(void *payload, size_t old_request, size_t request);
static void bump_reset(void);
#define REPLAY_MALLOC(request) bump_malloc(request)
#define REPLAY_FREE(payload) ((void)(payload))
#define REPLAY_REALLOC(payload, old_request, request) bump_realloc(payload, old_request, request)
#elif REPLAY_NATIVE
#include "../src/tagalloc.h"
#define REPLAY_MALLOC(request) tagalloc_malloc(request)
#define REPLAY_FREE(payload) tagalloc_free(payload)
#define REPLAY_REALLOC(payload, old_request, request) tagalloc_realloc(payload, request)
#else
#include <stdlib.h>
#define REPLAY_MALLOC(request) malloc(request)
#define REPLAY_FREE(payload) free(payload)
#define REPLAY_REALLOC(payload, old_request, request) realloc(payload, request)
#endif

#if REPLAY_POLICIES
#include "../src/tagalloc.h"
REPLAY_EXPORT(replay_set_policy) int replay_set_policy(int policy) {
    return tagalloc_set_policy(policy);
}
REPLAY_EXPORT(replay_set_coalescing) int replay_set_coalescing(int mode) {
    return tagalloc_set_coalescing(mode);
}
#endif

/* ---- The trace ------------------------------------------------------------------------------ */

enum { OP_ALLOC, OP_FREE, OP_REALLOC };
#define OP_KIND_SHIFT 30u /* an op's word: kind in the top 2 bits, block id below */
#define OP_ID_MASK ((1u << OP_KIND_SHIFT) - 1)

typedef struct op {
    uint32_t kind_id;
    uint32_t request; /* bytes; 0 for OP_FREE */
} op;

/* What a pass reports; JavaScript turns the codes into sentences. */
enum {
    REPLAY_OK,
    REPLAY_ERR_TOO_BIG,       /* more ops or ids than REPLAY_OPS_MAX or REPLAY_IDS_MAX */
    REPLAY_ERR_BAD_TRACE,     /* an op names an id out of range, frees a dead id, or reuses a live one */
    REPLAY_ERR_OUT_OF_MEMORY, /* malloc or realloc returned NULL */
    REPLAY_ERR_MISALIGNED,    /* a payload is not aligned to _Alignof(max_align_t) */
    REPLAY_ERR_OUTSIDE_HEAP,  /* a payload starts below __heap_base or ends past memory */
    REPLAY_ERR_OVERLAP,       /* a payload overlaps another live payload */
    REPLAY_ERR_FILL,          /* a live payload's bytes changed (or realloc lost them) */
};

static op ops[REPLAY_OPS_MAX];
static uint32_t op_count, id_count;
static unsigned char *block[REPLAY_IDS_MAX];  /* the live payload of each id, NULL when dead */
static uint32_t request_of[REPLAY_IDS_MAX];   /* bytes the live payload was asked for */
static uint32_t by_address[REPLAY_IDS_MAX];   /* check pass: the live ids, by payload address */
static uint32_t live_count;
static uint64_t live_bytes, peak_live;
static uintptr_t high_end;  /* check pass: the highest payload + request seen, an address */
static uint32_t failed_op;  /* the op where the latest pass stopped */

REPLAY_EXPORT(replay_ops) op *replay_ops(void) { return ops; }
REPLAY_EXPORT(replay_ops_max) uint32_t replay_ops_max(void) { return REPLAY_OPS_MAX; }
REPLAY_EXPORT(replay_ids_max) uint32_t replay_ids_max(void) { return REPLAY_IDS_MAX; }
REPLAY_EXPORT(replay_peak_live) double replay_peak_live(void) { return (double)peak_live; }
REPLAY_EXPORT(replay_high_end) uintptr_t replay_high_end(void) { return high_end; }
REPLAY_EXPORT(replay_failed_op) uint32_t replay_failed_op(void) { return failed_op; }
REPLAY_EXPORT(replay_alignment) uint32_t replay_alignment(void) { return _Alignof(max_align_t); }

/* Declares how many of ops[] the next passes replay and how many ids they use. */
REPLAY_EXPORT(replay_load) int replay_load(uint32_t ops_in_trace, uint32_t ids_in_trace) {
    if (ops_in_trace > REPLAY_OPS_MAX || ids_in_trace > REPLAY_IDS_MAX) return REPLAY_ERR_TOO_BIG;
    op_count = ops_in_trace;
    id_count = ids_in_trace;
    return REPLAY_OK;
}

/* ---- Where the heap may be ------------------------------------------------------------------ */

#if defined(__wasm__)
extern unsigned char __heap_base;
#define PAGE_BYTES 65536u
static uintptr_t heap_low(void) { return (uintptr_t)&__heap_base; }
static uintptr_t heap_high(void) { return __builtin_wasm_memory_size(0) * PAGE_BYTES; }
#else
static uintptr_t heap_low(void) { return 0; } /* native: the arena is wherever the lib put it */
static uintptr_t heap_high(void) { return UINTPTR_MAX; }
#endif
REPLAY_EXPORT(replay_heap_base) uintptr_t replay_heap_base(void) { return heap_low(); }

/* ---- The fill pattern ------------------------------------------------------------------------
 * Payload bytes 8k .. 8k + 7 of id hold word k below, little end first: it depends only on the id
 * and the offset, so realloc keeps the prefix valid and fills only the new tail. Each word adds
 * FILL_STEP to the one before, so checking a payload costs one add and one compare a word. */

#define FILL_STEP 0xd6e8feb86659fd93u /* odd: words repeat only after 2^64 of them */

static inline uint64_t fill_word(uint32_t id, uint32_t word) {
    return (id + 1u) * 0x9e3779b97f4a7c15u + word * FILL_STEP;
}

static inline unsigned char fill_byte(uint32_t id, uint32_t offset) {
    return (unsigned char)(fill_word(id, offset / 8) >> (8 * (offset % 8)));
}

static void fill(unsigned char *payload, uint32_t id, uint32_t from, uint32_t to) {
    uint32_t i = from;
    for (; i < to && i % 8 != 0; i++) payload[i] = fill_byte(id, i);
    uint64_t w = fill_word(id, i / 8);
    for (; i + 8 <= to; i += 8, w += FILL_STEP)
        __builtin_memcpy(payload + i, &w, 8); /* payloads are 8-aligned: one store */
    for (; i < to; i++) payload[i] = fill_byte(id, i);
}

static bool fill_is_intact(const unsigned char *payload, uint32_t id, uint32_t to) {
    uint32_t i = 0;
    uint64_t want = fill_word(id, 0);
    for (; i + 8 <= to; i += 8, want += FILL_STEP) {
        uint64_t w;
        __builtin_memcpy(&w, payload + i, 8);
        if (w != want) return false;
    }
    for (; i < to; i++)
        if (payload[i] != fill_byte(id, i)) return false;
    return true;
}

/* ---- The live set, by address (check pass only) --------------------------------------------- */

/* The first position in by_address whose payload is at or above p. */
static uint32_t live_position(const unsigned char *p) {
    uint32_t low = 0, high = live_count;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (block[by_address[mid]] < p) low = mid + 1;
        else high = mid;
    }
    return low;
}

static uintptr_t payload_end(uint32_t id) {
    uint32_t bytes = request_of[id] ? request_of[id] : 1; /* malloc(0) still owns an address */
    return (uintptr_t)block[id] + bytes;
}

/* Adds id, whose block and request_of are set, unless it overlaps a live neighbour. */
static int live_insert(uint32_t id) {
    uint32_t at = live_position(block[id]);
    if (at > 0 && payload_end(by_address[at - 1]) > (uintptr_t)block[id]) return REPLAY_ERR_OVERLAP;
    if (at < live_count && (uintptr_t)block[by_address[at]] < payload_end(id))
        return REPLAY_ERR_OVERLAP;
    __builtin_memmove(&by_address[at + 1], &by_address[at], (live_count - at) * sizeof *by_address);
    by_address[at] = id;
    live_count++;
    return REPLAY_OK;
}

static void live_remove(uint32_t id) {
    uint32_t at = live_position(block[id]);
    live_count--;
    __builtin_memmove(&by_address[at], &by_address[at + 1], (live_count - at) * sizeof *by_address);
}

/* ---- The passes ------------------------------------------------------------------------------ */

/* REPLAY_OK when a fresh payload may be written: not NULL, aligned, inside the heap. */
static int placement_error(const unsigned char *p, uint32_t request) {
    if (p == NULL) return REPLAY_ERR_OUT_OF_MEMORY;
    if ((uintptr_t)p % _Alignof(max_align_t) != 0) return REPLAY_ERR_MISALIGNED;
    uintptr_t at = (uintptr_t)p;
    if (at < heap_low() || at > heap_high() || heap_high() - at < request)
        return REPLAY_ERR_OUTSIDE_HEAP;
    return REPLAY_OK;
}

static int check_op(op o) {
    uint32_t kind = o.kind_id >> OP_KIND_SHIFT, id = o.kind_id & OP_ID_MASK;
    if (id >= id_count) return REPLAY_ERR_BAD_TRACE;
    unsigned char *old = block[id];
    uint32_t old_request = request_of[id];
    int rc;
    if (kind == OP_ALLOC) {
        if (old != NULL) return REPLAY_ERR_BAD_TRACE;
        unsigned char *p = REPLAY_MALLOC(o.request);
        if ((rc = placement_error(p, o.request)) != REPLAY_OK) return rc;
        block[id] = p;
        request_of[id] = o.request;
        if ((rc = live_insert(id)) != REPLAY_OK) return rc;
        fill(p, id, 0, o.request);
        live_bytes += o.request;
    } else if (kind == OP_FREE) {
        if (old == NULL) return REPLAY_ERR_BAD_TRACE;
        if (!fill_is_intact(old, id, old_request)) return REPLAY_ERR_FILL;
        live_remove(id);
        REPLAY_FREE(old);
        block[id] = NULL;
        request_of[id] = 0;
        live_bytes -= old_request;
    } else if (kind == OP_REALLOC) {
        if (old != NULL) live_remove(id);
        unsigned char *p = REPLAY_REALLOC(old, old_request, o.request);
        if ((rc = placement_error(p, o.request)) != REPLAY_OK) return rc;
        block[id] = p;
        request_of[id] = o.request;
        if ((rc = live_insert(id)) != REPLAY_OK) return rc;
        uint32_t kept = old_request < o.request ? old_request : o.request;
        /* A moved payload is checked now: the copy, and the bytes before it. One that stayed
         * put is checked when it is freed, or at the end of the pass. */
        if (p != old && !fill_is_intact(p, id, kept)) return REPLAY_ERR_FILL;
        fill(p, id, kept, o.request);
        live_bytes = live_bytes - old_request + o.request;
    } else {
        return REPLAY_ERR_BAD_TRACE;
    }
    if (live_bytes > peak_live) peak_live = live_bytes;
    if (block[id] != NULL && (uintptr_t)block[id] + o.request > high_end)
        high_end = (uintptr_t)block[id] + o.request;
    return REPLAY_OK;
}

/* The checking pass: run it first, on a fresh instance, so that peak_live and high_end describe
 * the allocator's first encounter with the trace. */
REPLAY_EXPORT(replay_check) int replay_check(void) {
    live_count = 0;
    live_bytes = peak_live = 0;
    high_end = heap_low();
    for (uint32_t i = 0; i < op_count; i++) {
        int rc = check_op(ops[i]);
        if (rc != REPLAY_OK) {
            failed_op = i;
            return rc;
        }
    }
    failed_op = op_count; /* what an unbalanced trace left live must still hold its fill */
    for (uint32_t k = 0; k < live_count; k++) {
        uint32_t id = by_address[k];
        if (!fill_is_intact(block[id], id, request_of[id])) return REPLAY_ERR_FILL;
    }
    return REPLAY_OK;
}

/* The timed pass: allocator calls and the bookkeeping that feeds them, nothing else. The trace
 * was validated by replay_check, so only a NULL is looked for. */
REPLAY_EXPORT(replay_run) int replay_run(void) {
    for (uint32_t i = 0; i < op_count; i++) {
        op o = ops[i];
        uint32_t kind = o.kind_id >> OP_KIND_SHIFT, id = o.kind_id & OP_ID_MASK;
        if (kind == OP_FREE) {
            REPLAY_FREE(block[id]);
            block[id] = NULL;
            continue;
        }
        unsigned char *p = kind == OP_ALLOC ? REPLAY_MALLOC(o.request)
                                            : REPLAY_REALLOC(block[id], request_of[id], o.request);
        if (p == NULL) {
            failed_op = i;
            return REPLAY_ERR_OUT_OF_MEMORY;
        }
        block[id] = p;
        request_of[id] = o.request;
    }
    return REPLAY_OK;
}

/* Frees every payload a pass left live (none, for balanced traces), so the next pass starts
 * from the allocator's own idea of an empty heap. */
REPLAY_EXPORT(replay_release) void replay_release(void) {
    for (uint32_t id = 0; id < id_count; id++) {
        if (block[id] != NULL) REPLAY_FREE(block[id]);
        block[id] = NULL;
        request_of[id] = 0;
    }
    live_count = 0;
#if REPLAY_BUMP
    bump_reset();
#endif
}

/* ---- The bump allocator: the driver alone, for its bytes ------------------------------------- */

#if REPLAY_BUMP
static uintptr_t bump_top; /* the next free address; 0 before the first call */

static uintptr_t bump_align(uintptr_t address) {
    return (address + _Alignof(max_align_t) - 1) & ~(uintptr_t)(_Alignof(max_align_t) - 1);
}

static void *bump_malloc(size_t request) {
    if (bump_top == 0) bump_top = bump_align(heap_low());
    uintptr_t payload = bump_top, end = payload + request;
    if (end < payload) return NULL;
    if (end > heap_high()) {
        /* At least an eighth more: realloc-bal moves 1.5 GB through a bump, and Node takes about
         * a millisecond a memory.grow past 64 MiB. Only "pages" utilisation notices. */
        uintptr_t need = (end - heap_high() + PAGE_BYTES - 1) / PAGE_BYTES;
        uintptr_t eighth = __builtin_wasm_memory_size(0) / 8;
        if (__builtin_wasm_memory_grow(0, need > eighth ? need : eighth) == (size_t)-1 &&
            __builtin_wasm_memory_grow(0, need) == (size_t)-1)
            return NULL;
    }
#if REPLAY_BUMP_FAULT == 1
    bump_top = bump_align(payload + request / 2); /* the next payload starts inside this one */
#elif REPLAY_BUMP_FAULT == 2
    bump_top = bump_align(end + _Alignof(max_align_t));
    return (void *)(payload + _Alignof(max_align_t) / 2);
#elif REPLAY_BUMP_FAULT == 3
    bump_top = bump_align(end);
    if (payload > bump_align(heap_low())) /* the first payload has nothing before it */
        __builtin_memcpy((void *)(payload - 4), &(uint32_t){(uint32_t)request}, 4);
#else
    bump_top = bump_align(end);
#endif
    return (void *)payload;
}

/* The last payload grows in place; any other moves to the top, like malloc and a copy. */
static void *bump_realloc(void *payload, size_t old_request, size_t request) {
    if (payload != NULL && bump_align((uintptr_t)payload + old_request) == bump_top) {
        bump_top = (uintptr_t)payload;
        void *same = bump_malloc(request);
        if (same == NULL) bump_top = bump_align((uintptr_t)payload + old_request);
        return same;
    }
    void *moved = bump_malloc(request);
    if (moved != NULL && payload != NULL)
        __builtin_memcpy(moved, payload, old_request < request ? old_request : request);
    return moved;
}

static void bump_reset(void) { bump_top = 0; }
#endif

/* ---- Native: main() reads a .rep file, for callgrind ------------------------------------------
 *   replay-native TRACE [POLICY [COALESCING [PASSES]]]
 * POLICY and COALESCING are tagalloc's enum values (default 3 0: segregated, immediate); PASSES
 * timed-style passes follow the checking pass (default 1). The exit status is the first failing
 * REPLAY_* code, 10 + n when tagalloc_check() then finds invariant In broken, 0 when every pass
 * ran; 100 + n when argument n (the file, its contents) cannot be used. */

#if REPLAY_NATIVE
#include <stdio.h>
#include <stdlib.h>

static bool trace_read(FILE *f) {
    unsigned long heap_hint, ids, count, weight;
    if (fscanf(f, "%lu %lu %lu %lu", &heap_hint, &ids, &count, &weight) != 4) return false;
    if (replay_load((uint32_t)count, (uint32_t)ids) != REPLAY_OK) return false;
    for (uint32_t i = 0; i < op_count; i++) {
        char kind;
        unsigned long id, request = 0;
        if (fscanf(f, " %c %lu", &kind, &id) != 2 || id >= id_count) return false;
        if (kind != 'f' && fscanf(f, "%lu", &request) != 1) return false;
        uint32_t k = kind == 'a' ? OP_ALLOC : kind == 'f' ? OP_FREE : OP_REALLOC;
        ops[i] = (op){k << OP_KIND_SHIFT | (uint32_t)id, (uint32_t)request};
    }
    return true;
}

int main(int argc, char **argv) {
    if (argc < 2) return 101;
    FILE *f = fopen(argv[1], "r");
    if (f == NULL || !trace_read(f)) return 101;
    fclose(f);
    if (argc > 2 && tagalloc_set_policy(atoi(argv[2])) < 0) return 102;
    if (argc > 3 && tagalloc_set_coalescing(atoi(argv[3])) < 0) return 103;
    int passes = argc > 4 ? atoi(argv[4]) : 1;
    int rc = replay_check();
    if (rc == REPLAY_OK && tagalloc_check() != TAGALLOC_CHECK_OK) rc = 10 + tagalloc_check();
    replay_release();
    for (int pass = 0; rc == REPLAY_OK && pass < passes; pass++) {
        rc = replay_run();
        replay_release();
    }
    return rc;
}
#endif
