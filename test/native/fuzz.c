/* libFuzzer target: the input is a sequence of operations run on the core against a model of
 * live blocks. After every operation tagalloc_check() passes and the blocks it touched hold
 * their fill; every bad pointer is refused with the code its place in the heap calls for, is
 * counted, reaches the handler with its code and pointer, and leaves every heap byte as it was.
 *
 * Each operation is an opcode byte and its arguments (missing bytes read as 0):
 *   malloc slot size fill          calloc slot count size fill     aligned slot log2 size fill
 *   free slot                      realloc slot size fill          usable slot
 *   bad kind via arg               overflow slot mode byte target  huge kind pick arg
 *   policy p                       coalescing m                    limit v16
 *   reset                          intact                          (size: 2 bytes, see size_of)
 * Built by build.sh build_fuzz over an 8 MiB arena: below 16 MiB a word of fill bytes can never
 * read as a chunk that fits, so a pointer into a filled payload is always refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/heap.h" /* REQUEST_MAX, CHUNK_MIN and TAG_BYTES: the limits under test */

#define ARENA TAGALLOC_ARENA_BYTES
_Static_assert(ARENA <= (16u << 20), "a word of fill bytes reads as a size beyond the heap");

#define SLOTS 64
#define STALE 16           /* freed payloads kept to hand back later */
#define WALK_MAX (1 << 16) /* chunks; an 8 KiB input makes far fewer */

typedef struct block {
    unsigned char *payload; /* NULL: the slot is empty */
    size_t usable;          /* bytes, all of them filled */
    unsigned char fill;
} block;

static block live[SLOTS];
static uintptr_t stale[STALE];
static unsigned stale_next;
static size_t bad_frees; /* what stats.bad_frees must say */
static size_t limit = SIZE_MAX; /* the heap limit last set, bytes from grow_base() */
static size_t heap_seen;        /* the heap's size after the previous operation, bytes */
static tagalloc_chunk walk[WALK_MAX];
static size_t chunks;
static tagalloc_stats stats;
static unsigned char heap_copy[ARENA];

static struct {
    int calls, code;
    void *pointer;
} seen;

static void on_error(int code, void *pointer) {
    seen.calls++;
    seen.code = code;
    seen.pointer = pointer;
}

static void fail(const char *what) {
    fprintf(stderr, "fuzz: %s (last_error %d, check %d at %#lx)\n", what, tagalloc_last_error(),
            tagalloc_check(), (unsigned long)tagalloc_check_where());
    abort();
}

static void expect(bool cond, const char *what) {
    if (!cond) fail(what);
}

/* ---- Reading the input ------------------------------------------------------------------- */

typedef struct input {
    const uint8_t *at, *end;
} input;

static uint8_t byte(input *in) { return in->at < in->end ? *in->at++ : 0; }
static uint16_t u16(input *in) { return (uint16_t)(byte(in) | byte(in) << 8); }

/* Requests skewed small: 2 bits pick a range, the rest a size in it, bytes. */
static size_t size_of(uint16_t v) {
    switch (v >> 14) {
    case 0: return v & 63;
    case 1: return v & 1023;
    case 2: return v & 8191;
    default: return (size_t)(v & 0x3fff) * 16; /* up to 256 KiB */
    }
}

/* ---- The model ---------------------------------------------------------------------------- */

static bool intact(const block *b, size_t bytes) { /* every byte equals the one after it */
    return !bytes || (b->payload[0] == b->fill && !memcmp(b->payload, b->payload + 1, bytes - 1));
}

/* Records a new payload in b: aligned, covering the request, overlapping no live block; then
 * fills every usable byte, so no stale tag survives inside a live payload. */
static void place(block *b, unsigned char *payload, size_t request, size_t alignment,
                  unsigned char fill) {
    expect(tagalloc_last_error() == TAGALLOC_ERR_NONE, "success with an error code");
    expect((uintptr_t)payload % (alignment > ALIGN ? alignment : ALIGN) == 0, "misaligned payload");
    size_t usable = tagalloc_usable_size(payload);
    expect(usable >= request, "usable size below the request");
    for (int i = 0; i < SLOTS; i++) {
        const block *o = &live[i];
        if (o == b || !o->payload) continue;
        expect(payload + usable <= o->payload || o->payload + o->usable <= payload,
               "payloads overlap");
    }
    b->payload = payload;
    b->usable = usable;
    b->fill = fill;
    memset(payload, fill, usable);
}

/* NULL from an allocation: out of memory, unless the request could never be served. */
static void refused_allocation(void) {
    expect(tagalloc_last_error() == TAGALLOC_ERR_OUT_OF_MEMORY, "NULL without OUT_OF_MEMORY");
    expect(seen.calls == 0, "an allocation failure called the handler");
}

static void release(block *b) {
    expect(intact(b, b->usable), "a fill changed before free");
    expect(tagalloc_usable_size(b->payload) == b->usable, "usable size changed while live");
    tagalloc_free(b->payload);
    expect(tagalloc_last_error() == TAGALLOC_ERR_NONE, "free of a live block was refused");
    stale[stale_next++ % STALE] = (uintptr_t)b->payload;
    b->payload = 0;
}

/* ---- Snapshots: the walk and every byte from the heap's start to its end tag ---------------- */

static void take_walk(void) {
    tagalloc_get_stats(&stats);
    chunks = tagalloc_walk(walk, WALK_MAX);
    expect(chunks <= WALK_MAX, "more chunks than the walk holds");
    expect(stats.bad_frees == bad_frees, "stats.bad_frees disagrees with the refusals");
}

static void take_bytes(void) {
    if (stats.heap_start) memcpy(heap_copy, (const void *)stats.heap_start, stats.heap_size);
}

static bool same_bytes(void) {
    return !stats.heap_start || !memcmp(heap_copy, (const void *)stats.heap_start, stats.heap_size);
}

/* The walk and the stats are as take_walk() left them, but for one more bad free. */
static bool same_walk(void) {
    static tagalloc_chunk now[WALK_MAX];
    tagalloc_stats before = stats, after;
    tagalloc_get_stats(&after);
    before.bad_frees++;
    return !memcmp(&before, &after, sizeof before) && tagalloc_walk(now, WALK_MAX) == chunks &&
           !memcmp(now, walk, chunks * sizeof walk[0]);
}

static uintptr_t end_tag(void) { return stats.heap_start + stats.heap_size - TAG_BYTES; }

/* What a pointer's place in the heap calls for: INVALID_POINTER outside or misaligned;
 * DOUBLE_FREE at a free chunk; CORRUPTED_CHUNK inside a used chunk (its filled payload cannot
 * read as a chunk); inside a free chunk, stale tags may read as a free chunk or as nothing, so
 * either of the last two (*either). 0: the pointer is a live chunk's, not a bad one. */
static int expected_code(uintptr_t p, bool *either) {
    *either = false;
    if (!stats.heap_start || p < stats.heap_start + TAG_BYTES || p >= end_tag() || p % ALIGN)
        return TAGALLOC_ERR_INVALID_POINTER;
    size_t lo = 0, hi = chunks; /* the chunk whose bytes hold the head p would have */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (walk[mid].payload <= p) lo = mid; else hi = mid;
    }
    const tagalloc_chunk *c = &walk[lo];
    if (c->payload == p) return c->used ? 0 : TAGALLOC_ERR_DOUBLE_FREE;
    if (c->used) return TAGALLOC_ERR_CORRUPTED_CHUNK;
    *either = true;
    return TAGALLOC_ERR_CORRUPTED_CHUNK;
}

enum { VIA_FREE, VIA_REALLOC, VIA_USABLE_SIZE };

/* Hands p to free, realloc or usable_size: it must be refused with the code (or, `either`,
 * with DOUBLE_FREE or CORRUPTED_CHUNK), reach the handler, and change no byte of the heap. */
static void refuse_checked(uintptr_t p, int via, int code, bool either, bool walkable) {
    if (walkable) take_walk();
    take_bytes();
    seen.calls = 0;
    uintptr_t result = 0;
    if (via == VIA_FREE) tagalloc_free((void *)p);
    if (via == VIA_REALLOC) result = (uintptr_t)tagalloc_realloc((void *)p, 48);
    if (via == VIA_USABLE_SIZE) result = tagalloc_usable_size((void *)p);
    bad_frees++;
    int got = tagalloc_last_error();
    expect(result == 0, "a bad pointer got a result");
    expect(either ? got == TAGALLOC_ERR_DOUBLE_FREE || got == TAGALLOC_ERR_CORRUPTED_CHUNK
                  : got == code,
           "a bad pointer got the wrong code");
    expect(seen.calls == 1 && seen.code == got && seen.pointer == (void *)p,
           "the handler did not get the code and the pointer");
    expect(same_bytes(), "a refused pointer changed the heap");
    if (walkable) expect(same_walk(), "a refused pointer changed the walk or the stats");
}

/* ---- Operations ----------------------------------------------------------------------------- */

enum {
    OP_MALLOC, OP_CALLOC, OP_ALIGNED, OP_FREE, OP_REALLOC, OP_USABLE, OP_BAD, OP_OVERFLOW,
    OP_HUGE, OP_POLICY, OP_COALESCING, OP_LIMIT, OP_RESET, OP_INTACT, OP_MALLOC_AGAIN,
    OP_FREE_AGAIN, OP_COUNT
};

static block *live_slot(uint8_t at) { /* the first live block from slot `at`, or NULL */
    for (int i = 0; i < SLOTS; i++)
        if (live[(at + i) % SLOTS].payload) return &live[(at + i) % SLOTS];
    return 0;
}

static void op_bad(input *in) {
    uint8_t kind = byte(in) % 8, via = byte(in) % 3;
    uint16_t arg = u16(in);
    take_walk();
    uintptr_t p = 0;
    block *b = live_slot((uint8_t)arg);
    switch (kind) {
    case 0: p = stats.heap_start + TAG_BYTES - ALIGN * (1 + arg % 64); break; /* below */
    case 1: p = end_tag() + TAG_BYTES + ALIGN * (arg % 64); break;            /* past the end */
    case 2: /* misaligned */
        p = (b ? (uintptr_t)b->payload : stats.heap_start + TAG_BYTES) + 1 + arg % (ALIGN - 1);
        break;
    case 3: /* inside a live payload */
        if (!b || b->usable + TAG_BYTES <= ALIGN) return;
        p = (uintptr_t)b->payload +
            ALIGN * (1 + (arg >> 8) % ((b->usable + TAG_BYTES) / ALIGN - 1));
        break;
    case 4: case 5: { /* at, or inside, a free chunk */
        size_t free_seen = 0;
        for (size_t i = 0; i < chunks; i++) free_seen += !walk[i].used;
        if (!free_seen) return;
        size_t pick = arg % free_seen, i = 0;
        for (;; i++)
            if (!walk[i].used && pick-- == 0) break;
        p = walk[i].payload;
        if (kind == 5 && walk[i].size > ALIGN)
            p += ALIGN * (1 + (arg >> 8) % (walk[i].size / ALIGN - 1));
        break;
    }
    case 6: p = stale[arg % STALE]; break; /* handed back after its free */
    case 7: /* freed now, then again */
        if (!b) return;
        p = (uintptr_t)b->payload;
        release(b);
        take_walk();
        break;
    }
    if (!p) return; /* NULL is a no-op, not a bad pointer */
    bool either;
    int code = expected_code(p, &either);
    if (code) refuse_checked(p, via, code, either, true);
}

/* u overflows into the head after it: a NUL byte (off by one), a word of one byte, the head
 * with only its PREV_USED bit cleared, that after a foot claiming u is free (u's own size), or
 * the head of a used chunk with only its used bit cleared. Freeing u is refused as corrupted;
 * freeing the victim as corrupted, or, where its head now reads as a free chunk that fits, as a
 * double free. Then the bytes are put back and the heap is whole again. */
static void op_overflow(input *in) {
    block *u = live_slot(byte(in));
    uint8_t mode = byte(in) % 5, value = byte(in), target = byte(in);
    if (!u) return;
    take_walk();
    unsigned char *head = u->payload + u->usable, saved[8];
    size_t i = 0;
    while (walk[i].payload != (uintptr_t)u->payload) i++;
    bool v_is_end = i + 1 == chunks, v_used = !v_is_end && walk[i + 1].used;
    if (mode == 4 && !v_used && !v_is_end) return; /* a free head has no used bit to clear */
    memcpy(saved, head - TAG_BYTES, sizeof saved);
    if (mode == 0) head[0] = 0;
    if (mode == 1) memset(head, value, TAG_BYTES);
    if (mode == 2 || mode == 3) head[0] &= (unsigned char)~TAG_PREV_USED;
    if (mode == 3) {
        uint32_t foot = (uint32_t)(u->usable + TAG_BYTES);
        memcpy(head - TAG_BYTES, &foot, sizeof foot);
    }
    if (mode == 4) head[0] &= (unsigned char)~TAG_USED;
    if (target & 1 && !v_is_end) {
        int code = mode == 4 ? TAGALLOC_ERR_DOUBLE_FREE : TAGALLOC_ERR_CORRUPTED_CHUNK;
        refuse_checked((uintptr_t)head + TAG_BYTES, target / 2 % 3, code,
                       mode != 4 && (!v_used || mode == 0), false);
    } else {
        refuse_checked((uintptr_t)u->payload, target / 2 % 3, TAGALLOC_ERR_CORRUPTED_CHUNK, false,
                       false);
    }
    memcpy(head - TAG_BYTES, saved, sizeof saved);
    expect(tagalloc_check() == TAGALLOC_CHECK_OK, "the heap is broken once the head is restored");
    take_walk();
}

/* Sizes no heap serves and alignments aligned_alloc refuses: NULL and the right code, nothing
 * counted, a realloc'd block untouched; the heap unchanged where no merge may run (a deferred
 * merge pass, or quick_flush before the heap would grow). */
static void op_huge(input *in) {
    static const size_t sizes[] = {SIZE_MAX, SIZE_MAX - ALIGN, (size_t)UINT32_MAX + 1, UINT32_MAX,
                                   UINT32_MAX - TAG_BYTES, UINT32_MAX - ALIGN - TAG_BYTES,
                                   CHUNK_SIZE_MAX, REQUEST_MAX + 1, REQUEST_MAX, ARENA + 64};
    uint8_t kind = byte(in) % 5, pick = byte(in);
    uint16_t arg = u16(in);
    size_t n = sizes[pick % (sizeof sizes / sizeof sizes[0])] - (pick & 0x80 ? arg % 64 : 0);
    int code = TAGALLOC_ERR_OUT_OF_MEMORY;
    block *b = live_slot((uint8_t)arg);
    if (kind == 3 && !b) return;
    take_walk();
    take_bytes();
    seen.calls = 0;
    void *result = 0;
    bool up_front = n > REQUEST_MAX; /* refused before any search: nothing may change */
    bool may_merge = tagalloc_get_coalescing() == TAGALLOC_COALESCE_DEFERRED ||
                     the_heap.quick_count != 0; /* a merge pass, or the quick lists emptied */
    if (kind == 0) {
        result = tagalloc_malloc(n);
    } else if (kind == 1) { /* a product that overflows size_t, or only 32 bits */
        size_t count = (size_t)(arg | 1) + 1;
        result = pick & 1 ? tagalloc_calloc(count, SIZE_MAX / count + 1)
                          : tagalloc_calloc(((size_t)1 << 16) + (arg & 15), ((size_t)1 << 16) + 1);
        up_front = true;
    } else if (kind == 2) { /* zero, not a power of two, or above TAGALLOC_ALIGN_MAX */
        size_t alignment = 0;
        if (pick % 4 == 1) alignment = ((size_t)(arg % 4096) * 2 + 3) << (pick >> 4 & 7);
        if (pick % 4 == 2) alignment = (size_t)TAGALLOC_ALIGN_MAX << (1 + arg % 8);
        if (pick % 4 == 3) alignment = pick & 4 ? SIZE_MAX : SIZE_MAX / 2 + 1;
        result = tagalloc_aligned_alloc(alignment, size_of(arg));
        code = TAGALLOC_ERR_BAD_ALIGNMENT;
        up_front = true;
    } else if (kind == 3) {
        result = tagalloc_realloc(b->payload, n);
    } else { /* a fitting alignment, an impossible size */
        size_t alignment = (size_t)1 << (5 + arg % 12);
        result = tagalloc_aligned_alloc(alignment, n);
        up_front = n > REQUEST_MAX - alignment - CHUNK_MIN;
    }
    int got = tagalloc_last_error();
    expect(result == 0, "an impossible request was served");
    expect(got == code, "an impossible request got the wrong code");
    expect(seen.calls == 0, "an impossible request called the handler");
    if (up_front || !may_merge) expect(same_bytes(), "a failed allocation changed the heap");
    if (kind == 3) {
        expect(intact(b, b->usable), "a failed realloc touched the block");
        expect(tagalloc_usable_size(b->payload) == b->usable, "a failed realloc resized the block");
    }
}

static void op_allocate(input *in, uint8_t op) {
    block *b = &live[byte(in) % SLOTS];
    if (b->payload) release(b);
    size_t request = 0, alignment = ALIGN;
    unsigned char *payload;
    seen.calls = 0;
    if (op == OP_CALLOC) {
        size_t count = byte(in) % 16, size = size_of(u16(in));
        request = count * size;
        payload = tagalloc_calloc(count, size);
        block zeros = {payload, request, 0};
        if (payload) expect(intact(&zeros, request), "calloc returned a non-zero byte");
    } else if (op == OP_ALIGNED) {
        alignment = (size_t)1 << byte(in) % 17; /* 1 byte to TAGALLOC_ALIGN_MAX */
        request = size_of(u16(in));
        payload = tagalloc_aligned_alloc(alignment, request);
    } else {
        request = size_of(u16(in));
        payload = tagalloc_malloc(request);
    }
    unsigned char fill = byte(in);
    if (payload) place(b, payload, request, alignment, fill); else refused_allocation();
}

static void op_realloc(input *in) {
    block *b = &live[byte(in) % SLOTS];
    size_t request = size_of(u16(in));
    unsigned char fill = byte(in);
    seen.calls = 0;
    if (!b->payload) { /* realloc(NULL, n) is malloc(n) */
        unsigned char *payload = tagalloc_realloc(0, request);
        if (payload) place(b, payload, request, ALIGN, fill); else refused_allocation();
        return;
    }
    block old = *b;
    unsigned char *payload = tagalloc_realloc(b->payload, request);
    if (!payload) {
        refused_allocation();
        expect(intact(b, b->usable), "a failed realloc touched the block");
        expect(tagalloc_usable_size(b->payload) == b->usable, "a failed realloc resized the block");
        return;
    }
    size_t keep = old.usable < request ? old.usable : request;
    b->payload = payload;
    expect(intact(b, keep), "realloc lost the contents");
    if (payload != old.payload) stale[stale_next++ % STALE] = (uintptr_t)old.payload;
    place(b, payload, request, ALIGN, fill);
}

/* Frees every live block (fills checked), zeroes the heap's bytes so that no tag outlives it,
 * and forgets it. */
static void empty_heap(void) {
    for (int i = 0; i < SLOTS; i++)
        if (live[i].payload) release(&live[i]);
    tagalloc_set_coalescing(TAGALLOC_COALESCE_IMMEDIATE);
    take_walk();
    expect(stats.in_use == 0 && stats.free_chunks <= 1, "not one free chunk once all is freed");
    expect(tagalloc_check() == TAGALLOC_CHECK_OK, "check once all is freed");
    if (stats.heap_start) memset((void *)stats.heap_start, 0, stats.heap_size);
    tagalloc_reset();
    memset(stale, 0, sizeof stale);
    bad_frees = 0;
}

static void run(input *in) {
    uint8_t op = byte(in) % OP_COUNT;
    switch (op) {
    case OP_MALLOC: case OP_MALLOC_AGAIN: case OP_CALLOC: case OP_ALIGNED:
        op_allocate(in, op);
        break;
    case OP_FREE: case OP_FREE_AGAIN: {
        block *b = &live[byte(in) % SLOTS];
        if (b->payload) release(b);
        break;
    }
    case OP_REALLOC: op_realloc(in); break;
    case OP_USABLE: {
        block *b = live_slot(byte(in));
        if (b) expect(tagalloc_usable_size(b->payload) == b->usable, "usable size changed");
        break;
    }
    case OP_BAD: op_bad(in); break;
    case OP_OVERFLOW: op_overflow(in); break;
    case OP_HUGE: op_huge(in); break;
    case OP_POLICY: expect(tagalloc_set_policy(byte(in) % 4) >= 0, "a policy was refused"); break;
    case OP_COALESCING: tagalloc_set_coalescing(byte(in) % 2); break;
    case OP_LIMIT: { /* 0: no cap but the arena's; else a cap in 256-byte steps */
        uint16_t v = u16(in);
        limit = v ? (size_t)v * 256 : SIZE_MAX;
        tagalloc_set_heap_limit(limit);
        break;
    }
    case OP_RESET: empty_heap(); break;
    case OP_INTACT:
        for (int i = 0; i < SLOTS; i++)
            if (live[i].payload) expect(intact(&live[i], live[i].usable), "a fill changed");
        break;
    }
    expect(tagalloc_check() == TAGALLOC_CHECK_OK, "tagalloc_check() failed");
    tagalloc_get_stats(&stats); /* growth stops at the limit; a lowered one keeps what is there */
    if (stats.heap_size > heap_seen && limit != SIZE_MAX)
        expect(stats.heap_start + stats.heap_size <= grow_base() + limit, "grew past the limit");
    heap_seen = stats.heap_size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input in = {data, data + size};
    tagalloc_set_error_handler(on_error);
    tagalloc_set_policy(TAGALLOC_FIT_SEGREGATED);
    tagalloc_set_coalescing(TAGALLOC_COALESCE_IMMEDIATE);
    tagalloc_set_heap_limit(limit = SIZE_MAX);
    heap_seen = 0;
    while (in.at < in.end) run(&in);
    empty_heap();
    return 0;
}
