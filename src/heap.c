/* The heap's operations: placing, splitting, freeing, merging, growing, resizing.
 * The layout and invariants they keep are in heap.h; the free-chunk index is index.c. */
#include "heap.h"

#if TAGALLOC_TRAP_ON_MISUSE
static void trap_on_misuse(int code, void *pointer) {
    (void)code, (void)pointer;
    __builtin_trap(); /* as glibc aborts on a double free: misuse must not go unnoticed */
}
#define DEFAULT_ERROR_HANDLER trap_on_misuse
#else
#define DEFAULT_ERROR_HANDLER 0
#endif

#ifndef TAGALLOC_SET_ERRNO
#define TAGALLOC_SET_ERRNO(code) ((void)0) /* the drop-in (libc.c) sets errno here */
#endif

heap the_heap = {
    .limit = UINTPTR_MAX,
    .policy = TAGALLOC_FIT_SEGREGATED,
    .coalescing = TAGALLOC_COALESCE_IMMEDIATE,
    .on_error = DEFAULT_ERROR_HANDLER,
};

/* Lays out an empty heap (just the end tag) at the platform's base, once. */
__attribute__((noinline, cold)) static bool heap_start(heap *h) {
    uintptr_t base = grow_base();
    uintptr_t start = ((base + TAG_BYTES + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1)) - TAG_BYTES;
#if !defined(__wasm__)
    h->origin = base;
#endif
    if (start + TAG_BYTES > h->limit || !grow_reserve(start + TAG_BYTES)) return false;
    h->start = h->end = (chunk *)start;
    *chunk_head(h->end) = TAG_USED | TAG_PREV_USED; /* chunk 0 never merges backwards */
    h->peak_heap = TAG_BYTES; /* the end tag alone, until heap_grow */
    bins_clear(h); /* the bitmap is zero: the_heap's start, or tagalloc_reset's */
    return true;
}

static bool heap_ready(heap *h) { return h->start || heap_start(h); }

/* Every allocation call starts with no error and no events. */
static void call_begin(heap *h) {
#if TAGALLOC_EVENTS
    if (!h->nested) event_clear();
    h->nested = false;
#endif
    h->last_error = TAGALLOC_ERR_NONE;
}

/* After a call that may have raised in_use. (The heap's peak is its size: heap_grow keeps it.) */
static void note_peak(heap *h) {
    if (h->in_use > h->peak_in_use) h->peak_in_use = h->in_use;
}

/* Records a refused call; for a bad pointer also counts it and runs the handler. Kept out of
 * line: it is the cold path of every check. */
__attribute__((noinline, cold)) static void *refuse(heap *h, int code, const void *pointer) {
    h->last_error = code;
    if (code <= TAGALLOC_ERR_CORRUPTED_CHUNK) {
        h->bad_frees++;
        if (h->on_error) h->on_error(code, (void *)pointer);
    } else {
        TAGALLOC_SET_ERRNO(code);
    }
    return 0;
}

/* b, the chunk right after a, is now part of a, which is `size` bytes. */
static void note_merge(heap *h, chunk *a, chunk *b, uint32_t size) {
    if (TAGALLOC_ALL_POLICIES && h->rover == chunk_link(b))
        h->rover = chunk_link(a); /* the rover stays on a chunk */
    event_record(TAGALLOC_EVENT_MERGE, a, size);
}

/* Turns used chunk c free, merges it with free neighbours (immediate mode) and indexes it;
 * merged with the victim, it is the victim; merged with the top, the top. The tags are read
 * before any store and written once, for the merged chunk. */
static HOT chunk *release(heap *h, chunk *c) {
    uint32_t head = *chunk_head(c), freed = head & ~TAG_FLAGS, size = freed;
    uint32_t next_head = *chunk_head(c + size);
    link victim = TAGALLOC_VICTIM ? h->victim : 0; /* before the merges */
    if (heap_is_deferred(h)) {
        h->loose = true;
    } else {
        if (!(next_head & TAG_USED)) { /* [this][free] -> [this + next] */
            chunk *next = c + size;
            index_remove(h, next);
            size += next_head & ~TAG_FLAGS;
            note_merge(h, c, next, size);
        }
        if (!(head & TAG_PREV_USED)) { /* [free][this] -> [prev + this] */
            chunk *prev = chunk_prev(c);
            uint32_t prev_head = *chunk_head(prev);
            index_remove(h, prev);
            size += prev_head & ~TAG_FLAGS;
            note_merge(h, prev, c, size);
            *chunk_head(c) = head & ~TAG_USED; /* c's head stays behind reading free: freeing
                                                * it again is a double free, not a corruption */
            c = prev;
            head = prev_head;
        }
    }
    *chunk_head(c) = size | (head & TAG_PREV_USED);
    *(tag *)(c + size - TAG_BYTES) = size;
    *chunk_head(c + size) &= ~TAG_PREV_USED;
    h->in_use -= freed;
    if (c + size == h->end) {
        h->top = c;
        if (heap_is_segregated(h)) return c; /* on no list (index_remove let go of a victim) */
    }
    /* Merged with the victim, c holds where it was (free chunks never overlap): one compare here,
     * not a flag kept through the merges (with prev's head read before their stores, 1.1% to
     * 1.9% fewer V8 instructions on binary, coalescing, jq and make: bench/README.md). */
    if (TAGALLOC_VICTIM && victim - chunk_link(c) < size) h->victim = chunk_link(c);
    else index_link(h, c, size);
    return c;
}

/* Frees used chunk c from inside another call (realloc, aligned_alloc, shrink). Where free
 * inlines release (the fast paths) this goes through free, so that release's code exists once,
 * and keeps the events this call has recorded so far; elsewhere release is a call anyway. */
static void release_inside(heap *h, chunk *c) {
#if TAGALLOC_FAST_PATHS
    if (TAGALLOC_EVENTS) h->nested = true;
    tagalloc_free(chunk_payload(c));
#else
    event_record(TAGALLOC_EVENT_FREE, c, chunk_size(c));
    release(h, c);
#endif
}

/* Gives the tail of used chunk c beyond `size` bytes back to the heap, when it can be a chunk. */
static void shrink(heap *h, chunk *c, uint32_t size) {
    uint32_t have = chunk_size(c);
    if (have - size < CHUNK_MIN) return; /* too small to stand alone: stays in the payload */
    chunk_set(c, size, true);
    chunk *tail = c + size;
    *chunk_head(tail) = (have - size) | TAG_USED | TAG_PREV_USED;
    event_record(TAGALLOC_EVENT_SPLIT, tail, have - size);
    release_inside(h, tail);
}

/* One pass over the heap merging every run of touching free chunks (deferred coalescing). */
static void merge_all(heap *h) {
    for (chunk *c = h->start; !chunk_is_end(c); c = chunk_next(c)) {
        if (chunk_is_used(c) || chunk_is_used(chunk_next(c))) continue;
        index_remove(h, c);
        while (!chunk_is_used(chunk_next(c))) { /* [free][free]... -> [one free chunk] */
            chunk *next = chunk_next(c);
            index_remove(h, next);
            uint32_t size = chunk_size(c) + chunk_size(next);
            chunk_set(c, size, false); /* the head after next already says "prev free" */
            note_merge(h, c, next, size);
        }
        if (chunk_next(c) == h->end) h->top = c;
        index_insert(h, c);
    }
    h->loose = false;
}

/* Whether the heap may end at new_end (with its end tag there): no wrap on wasm32, under the
 * limit, every size still fits in a tag, and the platform has the memory. */
static bool heap_may_end_at(heap *h, uintptr_t new_end) {
    return new_end >= (uintptr_t)h->end && new_end <= h->limit - TAG_BYTES &&
           new_end - (uintptr_t)h->start <= CHUNK_SIZE_MAX && grow_reserve(new_end + TAG_BYTES);
}

/* Extends the heap so that its last chunk, the top, is free and at least `size` bytes, by at
 * least `at_least` bytes if it can, else by what is needed; returns the top, off the index, or
 * NULL (nothing changed) when the platform or the limit says no. */
__attribute__((noinline, cold)) static chunk *heap_grow(heap *h, uint32_t size, uint32_t at_least) {
    chunk *last = h->top;
    uint32_t have = last ? chunk_size(last) : 0, need = size - have; /* absorb a free last chunk */
    uint32_t more = need < at_least ? at_least : need;
    while (!heap_may_end_at(h, (uintptr_t)h->end + more)) {
        if (more == need) return 0;
        more = need; /* at_least is a wish: a heap near its limit still serves what fits */
    }
    uintptr_t new_end = (uintptr_t)h->end + more;
    if (last && !heap_is_segregated(h)) index_remove(h, last); /* segregated keeps the top off
                                                              * the index (I4) */
    chunk *fresh = h->end; /* the old end tag becomes the new chunk's head, PREV_USED kept */
    h->end = (chunk *)new_end;
    *chunk_head(h->end) = TAG_USED;
    h->peak_heap = (uint32_t)(new_end + TAG_BYTES - (uintptr_t)h->start); /* it only grows */
    event_record(TAGALLOC_EVENT_GROW, fresh, more);
    if (!last) last = fresh;
    else note_merge(h, last, fresh, have + more);
    chunk_set(last, have + more, false);
    return h->top = last;
}

/* Under the segregated policy a chunk below SMALL_CHUNK bytes is cut from the high end of the
 * free chunk that serves it, a larger one from the low end, so small and large blocks gather
 * apart and a freed run of large blocks merges into room for larger ones (the binary traces).
 * A small request that grows the heap grows it by GROW_SMALL bytes: room for the small ones at
 * the top and larger ones below. That request itself is cut from the low end, right after the
 * last block: when that block is one a realloc keeps growing (realloc2), it then moves at once,
 * past the small one, instead of first growing through the 2 KiB and leaving 6 KiB behind when
 * it moves. A large request grows the heap by exactly what it needs, so a block at the heap's
 * end can keep growing in place (the realloc traces). Both numbers were chosen by replaying the
 * benchmark traces (bench/); SMALL_CHUNK is in heap.h, the quick lists use it too. */
#define GROW_SMALL 2048u

static bool is_small(const heap *h, uint32_t size) {
    return size < SMALL_CHUNK && heap_is_segregated(h);
}

#if TAGALLOC_QUICK
/* Frees every chunk on the quick lists for good, merging each as free does (through free, so
 * that release's code exists once; the QUICK_FLUSHING bit keeps free from listing them again). */
__attribute__((noinline, cold)) static void quick_flush(heap *h) {
    h->quick_count |= QUICK_FLUSHING;
    for (uint32_t bin = 0; bin < QUICK_BYTES / ALIGN; bin++) {
        while (h->quick[bin]) {
            chunk *c = chunk_at(h->quick[bin]);
            h->quick[bin] = chunk_links(c)[0];
            *chunk_head(c) &= ~TAG_QUICK;
            h->in_use += bin * ALIGN; /* used again, for the moment free takes it back */
            release_inside(h, c);
        }
    }
    h->quick_count = 0;
}
#endif

/* A used chunk of at least `size` bytes, or NULL. The drop-ins inline it into malloc and
 * aligned_alloc: 20 bytes smaller there and no slower (bench/README.md, sixth round); with all
 * four policies it is larger, and inlined it put tagalloc.wasm 973 bytes over. */
#if TAGALLOC_ALL_POLICIES
#define INLINED_IN_DROP_INS
#else
#define INLINED_IN_DROP_INS inline __attribute__((always_inline))
#endif
static INLINED_IN_DROP_INS chunk *heap_allocate(heap *h, uint32_t size) {
    bool small = is_small(h, size), whole_class = false;
    link victim;
    chunk *c;
    while (victim = h->victim, !(c = index_take(h, size, whole_class))) {
        if (heap_is_deferred(h) && h->loose) merge_all(h); /* deferred: merge on demand */
#if TAGALLOC_QUICK
        else if (h->quick_count) quick_flush(h); /* their room before new memory */
#endif
        else if ((c = heap_grow(h, size, small ? GROW_SMALL : 0))) { /* the top */
            small = false; /* cut from the low end: beside the last block (GROW_SMALL) */
            break;
        }
        else if (whole_class || !heap_is_segregated(h)) return 0; /* the others looked at all */
        else whole_class = true; /* the heap cannot grow: every chunk of the class that may fit */
    }
    bool was_victim = TAGALLOC_VICTIM && chunk_link(c) == victim; /* its rest stays it */
    bool was_top = c == h->top;
    uint32_t have = chunk_size(c), left = have - size;
    chunk *rest = 0;
    if (left >= CHUNK_MIN) { /* split: [large][rest], or [rest][small] */
        rest = c;
        chunk *split = small ? (c += left) : (rest += size); /* the new head between them */
        *chunk_head(split) = 0; /* written before anything reads it: a page of fresh memory read
                                 * first faults twice (random-bal's cold pass took 37% more page
                                 * faults); its TAG_PREV_USED is set below if c comes first */
        have = size;
    }
    if (was_top) h->top = rest && !small ? rest : 0; /* [large][top], or [rest][small] */
    chunk_set(c, have, true);
    chunk_set_prev_used(chunk_next(c), true);
    h->in_use += have;
    event_record(TAGALLOC_EVENT_PLACE, c, have);
    if (rest) {
        chunk_set(rest, left, false);
        event_record(TAGALLOC_EVENT_SPLIT, rest, left);
        if (was_victim) h->victim = chunk_link(rest);
        else index_hold(h, rest); /* heads in place first: it asks whether rest is the top */
    }
    if (TAGALLOC_ALL_POLICIES) h->rover = chunk_link(chunk_next(c)); /* the rest, or the next */
    return c;
}

/* The used chunk behind a payload the caller hands back, or NULL after refusing it.
 * The release-build check: inside the heap and aligned; the head reads as a used chunk that
 * fits the heap; the next head says its predecessor is used and fits the heap too (if it reads
 * free, its foot agrees; if it is the end tag, it is exactly that); a free predecessor's foot
 * and head agree. A few loads and compares a call. */
static HOT chunk *chunk_verify(heap *h, const void *payload) {
    uintptr_t p = (uintptr_t)payload;
    if (p <= (uintptr_t)h->start || p >= (uintptr_t)h->end || p % ALIGN) /* an aligned p above
                                                                       * start is past its head */
        return refuse(h, TAGALLOC_ERR_INVALID_POINTER, payload); /* no heap yet: end is 0 */
    chunk *c = chunk_from_payload(payload);
    uint32_t room = (uint32_t)(h->end - c), size = chunk_size(c);
    bool fits = size >= CHUNK_MIN && size <= room;
    if (!fits || !chunk_is_held(c)) /* a head that fits but reads free or quick: a double free
                                     * (no foot check: a chunk merged into the one before it
                                     * keeps its head, not its foot) */
        return refuse(h, fits ? TAGALLOC_ERR_DOUBLE_FREE : TAGALLOC_ERR_CORRUPTED_CHUNK, payload);
    chunk *next = c + size;
    uint32_t next_size = chunk_size(next);
    bool next_ok = chunk_is_prev_used(next) &&
                   (next == h->end ? *chunk_head(next) == (TAG_USED | TAG_PREV_USED)
                                   : next_size - 1 < room - size && /* aligned, not 0: fits */
                                         (chunk_is_used(next) || *chunk_foot(next) == next_size));
    if (next_ok && !chunk_is_prev_used(c)) {
        uint32_t prev_size = ((const tag *)c)[-1];
        next_ok = prev_size >= CHUNK_MIN && prev_size <= (uint32_t)(c - h->start) &&
                  (*chunk_head(c - prev_size) & ~TAG_PREV_USED) == prev_size;
    }
    if (!next_ok) return refuse(h, TAGALLOC_ERR_CORRUPTED_CHUNK, payload);
#if TAGALLOC_DEBUG >= 2
    chunk *walk = h->start; /* the debug build also proves c is a chunk: a pointer into a
                             * payload cannot pass by looking like one */
    while (walk < c && chunk_size(walk) >= CHUNK_MIN &&
           chunk_size(walk) <= (uint32_t)(h->end - walk)) /* a broken head stops it, not loops */
        walk = chunk_next(walk);
    if (walk != c) return refuse(h, TAGALLOC_ERR_CORRUPTED_CHUNK, payload);
#endif
    return c;
}

/* The fast paths below are the common cases of heap_allocate, written out in malloc so that
 * they cost no call: a request served whole from its exact size class, and one cut from the
 * victim or the top. (free has the whole of release inlined.) Everything else takes the general
 * path. */

/* A request cut from the victim or the top where heap_allocate would cut it, without the index:
 * from the victim when no bin could serve first (no bin at all, or none from the request's own
 * class up to the victim's; an exact class's own bin malloc has found empty), from the top when
 * there is neither a victim nor a bin; whole when what would be left could not stand alone (the
 * coalescing trace's every third malloc, which took heap_allocate's path: 8% of its V8
 * instructions). The same split as heap_allocate's, written out with the tags it knows: sharing
 * heap_allocate's (a `place` both call) measured 4% slower, 8% on the make trace
 * (bench/README.md). */
static HOT chunk *carve(heap *h, uint32_t size) {
    bool top = !h->victim;
    if (top && (h->summary || !h->top)) return 0;
    chunk *v = top ? h->top : chunk_at(h->victim), *c;
    uint32_t have = chunk_size(v), left = have - size;
    if (have < size) return 0;
    if (!top && h->summary) {
        uint32_t own = bin_of(size), above = bin_at_or_above(h, own);
        if (above && (above == own || bin_of(have) > above)) return 0; /* a bin may serve first */
    }
    if (left < CHUNK_MIN) { /* [v] whole: too little would be left to stand alone */
        c = v;
        *chunk_head(c) |= TAG_USED;
        *chunk_head(c + have) |= TAG_PREV_USED;
        if (top) h->top = 0;
        else h->victim = 0;
        size = have;
        event_record(TAGALLOC_EVENT_PLACE, c, size);
    } else if (size < SMALL_CHUNK) { /* [v][small]: v stays where it is, and is (or becomes) the
                                      * victim */
        c = v + left;
        *chunk_head(c) = size | TAG_USED;
        *chunk_head(c + size) |= TAG_PREV_USED;
        chunk_set(v, left, false);
        h->victim = chunk_link(v);
        if (top) h->top = 0; /* c is the last chunk now */
        event_record(TAGALLOC_EVENT_PLACE, c, size);
        event_record(TAGALLOC_EVENT_SPLIT, v, left);
    } else { /* [large][v]: the rest moves up, still the victim or the top */
        c = v;
        chunk_set(c, size, true);
        chunk *rest = c + size;
        *chunk_head(rest) = left | TAG_PREV_USED;
        *chunk_foot(rest) = left;
        if (top) h->top = rest;
        else h->victim = chunk_link(rest);
        event_record(TAGALLOC_EVENT_PLACE, c, size);
        event_record(TAGALLOC_EVENT_SPLIT, rest, left);
    }
    h->in_use += size;
    if (TAGALLOC_ALL_POLICIES) h->rover = chunk_link(c + size);
    return c;
}

/* malloc's slow path: the first call, refusals and heap_allocate. Out of line, so that no value
 * of malloc's fast paths lives across a call and V8 keeps none of them in its frame (fewer
 * instructions on the programs' traces, 2.6%). wasm-opt inlines any function with one caller;
 * its address in the table (keep_out_of_line, 15 bytes) keeps it a call. */
__attribute__((noinline)) static void *malloc_slow(heap *h, size_t request) {
    chunk *c;
    if (request > REQUEST_MAX || !heap_ready(h) || !(c = heap_allocate(h, chunk_size_for(request))))
        return refuse(h, TAGALLOC_ERR_OUT_OF_MEMORY, 0);
    note_peak(h);
    TAGALLOC_CHECK_HEAP();
    return chunk_payload(c);
}
#if TAGALLOC_FAST_PATHS
__attribute__((used)) static void *(*const keep_out_of_line)(heap *, size_t) = malloc_slow;
#endif

TAGALLOC_EXPORT(tagalloc_malloc) void *tagalloc_malloc(size_t request) {
    heap *h = &the_heap;
    call_begin(h);
    if (!TAGALLOC_FAST_PATHS || request > REQUEST_MAX) return malloc_slow(h, request);
    uint32_t size = chunk_size_for(request), bin = size / ALIGN;
    chunk *c;
    if (TAGALLOC_QUICK && size < QUICK_BYTES && h->quick[bin]) { /* the latest freed of its size */
        c = chunk_at(h->quick[bin]);
        h->quick[bin] = chunk_links(c)[0];
        h->quick_count--;
        *chunk_head(c) &= ~TAG_QUICK;
        h->in_use += size;
    } else if (TAGALLOC_FAST_PATHS && heap_is_segregated(h) && size < BIN_EXACT_BYTES &&
               h->bitmap[0] >> bin & 1) {
        c = list_unlink(h, probe(chunk_at(h->bins[bin][0]))); /* every chunk there fits whole */
        *chunk_head(c) |= TAG_USED;
        *chunk_head(c + size) |= TAG_PREV_USED;
        h->in_use += size;
        event_record(TAGALLOC_EVENT_PLACE, c, size);
        if (TAGALLOC_ALL_POLICIES) h->rover = chunk_link(c + size);
    } else if (TAGALLOC_FAST_PATHS && TAGALLOC_VICTIM && heap_is_segregated(h) &&
               (c = carve(h, size))) {
    } else {
        return malloc_slow(h, request); /* a heap not started has no list, victim or top */
    }
    note_peak(h);
    TAGALLOC_CHECK_HEAP();
    return chunk_payload(c);
}

TAGALLOC_EXPORT(tagalloc_free) void tagalloc_free(void *payload) {
    heap *h = &the_heap;
    call_begin(h);
    if (!payload) return;
    chunk *c = chunk_verify(h, payload);
    if (!c) return;
    uint32_t size = chunk_size(c);
#if TAGALLOC_QUICK
    if (size < QUICK_BYTES && h->quick_count < QUICK_MAX && heap_is_segregated(h) &&
        !heap_is_deferred(h)) { /* onto its quick list, unmerged (while quick_flush runs, the
                                 * QUICK_FLUSHING bit makes the count too high) */
        *chunk_head(c) |= TAG_QUICK;
        chunk_links(c)[0] = h->quick[size / ALIGN];
        h->quick[size / ALIGN] = chunk_link(c);
        h->in_use -= size;
        h->quick_count++;
        return;
    }
#endif
    event_record(TAGALLOC_EVENT_FREE, c, size);
#if TAGALLOC_DEBUG >= 2
    __builtin_memset(payload, 0xdf, size - TAG_BYTES); /* use after free reads junk */
#endif
    release(h, c);
    TAGALLOC_CHECK_HEAP();
}

TAGALLOC_EXPORT(tagalloc_calloc) void *tagalloc_calloc(size_t count, size_t size) {
    size_t request;
    if (__builtin_mul_overflow(count, size, &request)) {
        event_clear();
        return refuse(&the_heap, TAGALLOC_ERR_OUT_OF_MEMORY, 0);
    }
    void *payload = tagalloc_malloc(request);
    if (payload) __builtin_memset(payload, 0, request);
    return payload;
}

#if TAGALLOC_FAST_PATHS
/* realloc's fast path, true when it has resized used chunk c to `size` bytes: a size that fits
 * with too little left over to give back (nothing to do), or growth into the free chunk after c
 * when that is the top or the victim and what is left could stand alone: two tag writes, and the
 * rest stays where it was, the top or the victim, on no list. Else false, nothing changed.
 * Tested before resize_in_place's general path, so that the realloc traces' common cases read
 * no more than they need (realloc 3.8% and realloc2 3.3% fewer V8 instructions, with the check
 * inlined and the slow path apart: bench/README.md, thirteenth round). */
static HOT bool resize_fast(heap *h, chunk *c, uint32_t size) {
    uint32_t have = chunk_size(c);
    if (size <= have) return have - size < CHUNK_MIN;
    chunk *next = c + have;
    bool victim = TAGALLOC_VICTIM && h->victim == chunk_link(next);
    if (chunk_is_used(next) || !(victim || (heap_is_segregated(h) && next == h->top)))
        return false;
    uint32_t both = have + chunk_size(next), left = both - size;
    if (size > both - CHUNK_MIN) return false;
    chunk_set(c, size, true); /* [this][top or victim] -> [this + part][the rest] */
    note_merge(h, c, next, size);
    *chunk_head(c + size) = left | TAG_PREV_USED;
    *(tag *)(c + both - TAG_BYTES) = left;
    h->in_use += size - have; /* after the tags: its store would make c's head be read again */
    if (victim) h->victim = chunk_link(c + size);
    else h->top = c + size;
    event_record(TAGALLOC_EVENT_SPLIT, c + size, left);
    return true;
}
#endif

/* Resizes used chunk c to `size` bytes without moving it, or returns false (nothing changed).
 * Growing takes the free chunk after c (from its bin, the victim or the top) or, when c is
 * last or next to a free last chunk and no hole elsewhere holds `size` (then it moves), grows
 * the heap first; what is beyond `size` goes back as a free chunk. Where resize_fast has
 * looked first, growth into the victim or the top with enough left over does not reach here. */
static bool resize_in_place(heap *h, chunk *c, uint32_t size) {
    uint32_t have = chunk_size(c);
    chunk *next = c + have;
    if (have < size) {
        bool next_free = !chunk_is_used(next), victim = false;
        if (!next_free || have + chunk_size(next) < size) {
            if ((next_free ? chunk_next(next) : next) != h->end || index_holds(h, size))
                return false; /* a block at the heap's end moves to a hole that holds it */
            next = heap_grow(h, size - have, 0); /* c is last and no hole holds it: extend */
            if (!next) return false;
        } else {
            victim = index_remove(h, next);
        }
        uint32_t both = have + chunk_size(next), left = both - size;
        h->in_use += chunk_size(next);
        if (next == h->top) h->top = 0; /* shrink's release sets it again if it leaves one */
        have = both; /* [this][free] -> [this + next], used */
        chunk_set(c, have, true);
        chunk_set_prev_used(c + have, true);
        note_merge(h, c, next, have);
        if (!TAGALLOC_FAST_PATHS && TAGALLOC_VICTIM && victim && left >= CHUNK_MIN) {
            shrink(h, c, size); /* the rest stays the victim, as resize_fast leaves it, so every
                                 * build has the same heap (taking resize_fast's code instead
                                 * measured 77 bytes more in tagalloc.wasm, over its budget) */
            h->victim = chunk_link(list_unlink(h, c + size));
            return true;
        }
    }
    shrink(h, c, size);
    return true;
}

/* realloc's slow path: resizing in place by the general path, or moving. clang compiles it
 * apart from realloc's fast path; wasm-opt then inlines it into realloc, its one caller, but the
 * code V8 runs is still shorter than with it written in line (realloc and realloc2 1.2% fewer
 * instructions, for 50 bytes: bench/README.md, thirteenth round). */
__attribute__((noinline)) static void *realloc_slow(heap *h, chunk *c, size_t request) {
    void *payload = chunk_payload(c);
    if (resize_in_place(h, c, chunk_size_for(request))) {
        note_peak(h);
        TAGALLOC_CHECK_HEAP();
        return payload;
    }
    /* It moves, and only ever to grow (a smaller size always fits in place): through malloc and
     * its fast paths, which notes the peak while both blocks are in use. */
    if (TAGALLOC_EVENTS) h->nested = true; /* malloc keeps this call's events */
    void *moved = tagalloc_malloc(request);
    if (!moved) return 0; /* malloc has refused it */
    __builtin_memcpy(moved, payload, chunk_size(c) - TAG_BYTES);
    release_inside(h, c);
    TAGALLOC_CHECK_HEAP();
    return moved;
}
TAGALLOC_EXPORT(tagalloc_realloc) void *tagalloc_realloc(void *payload, size_t request) {
    if (!payload) return tagalloc_malloc(request);
    heap *h = &the_heap;
    call_begin(h);
    chunk *c = chunk_verify(h, payload);
    if (!c) return 0;
    if (request > REQUEST_MAX) return refuse(h, TAGALLOC_ERR_OUT_OF_MEMORY, 0);
#if TAGALLOC_FAST_PATHS
    if (resize_fast(h, c, chunk_size_for(request))) {
        note_peak(h);
        TAGALLOC_CHECK_HEAP();
        return payload;
    }
#endif
    return realloc_slow(h, c, request);
}

TAGALLOC_EXPORT(tagalloc_aligned_alloc)
void *tagalloc_aligned_alloc(size_t alignment, size_t request) {
    heap *h = &the_heap;
    bool power_of_two = alignment && !(alignment & (alignment - 1));
    if (power_of_two && alignment <= TAGALLOC_ALIGNMENT)
        return tagalloc_malloc(request); /* every payload is this aligned already */
    call_begin(h);
    if (!power_of_two || alignment > TAGALLOC_ALIGN_MAX)
        return refuse(h, TAGALLOC_ERR_BAD_ALIGNMENT, 0);
    size_t slack = alignment + CHUNK_MIN; /* room to cut off a leading gap that is a chunk */
    if (request > REQUEST_MAX - slack || !heap_ready(h))
        return refuse(h, TAGALLOC_ERR_OUT_OF_MEMORY, 0);
    chunk *c = heap_allocate(h, chunk_size_for(request + slack));
    if (!c) return refuse(h, TAGALLOC_ERR_OUT_OF_MEMORY, 0);
    uintptr_t payload = (uintptr_t)chunk_payload(c);
    if (payload % alignment) {
        uintptr_t aligned_payload = (payload + CHUNK_MIN + alignment - 1) & ~(alignment - 1);
        uint32_t gap = (uint32_t)(aligned_payload - payload);
        uint32_t have = chunk_size(c);
        chunk_set(c, gap, true); /* [gap][aligned chunk] -> the gap goes back as a free chunk */
        chunk *aligned = c + gap;
        *chunk_head(aligned) = (have - gap) | TAG_USED | TAG_PREV_USED;
        release_inside(h, c);
        c = aligned;
    }
    shrink(h, c, chunk_size_for(request));
    note_peak(h);
    TAGALLOC_CHECK_HEAP();
    return chunk_payload(c);
}

TAGALLOC_EXPORT(tagalloc_usable_size) size_t tagalloc_usable_size(const void *payload) {
    heap *h = &the_heap;
    call_begin(h);
    if (!payload) return 0;
    chunk *c = chunk_verify(h, payload);
    return c ? chunk_size(c) - TAG_BYTES : 0;
}

TAGALLOC_EXPORT(tagalloc_set_policy) int tagalloc_set_policy(int policy) {
    heap *h = &the_heap;
    bool known = TAGALLOC_ALL_POLICIES
                     ? policy >= TAGALLOC_FIT_FIRST && policy <= TAGALLOC_FIT_SEGREGATED
                     : policy == TAGALLOC_FIT_SEGREGATED;
    if (!known) return -1;
    int previous = h->policy;
#if TAGALLOC_QUICK && TAGALLOC_ALL_POLICIES
    if (h->quick_count) quick_flush(h); /* only segregated fit keeps quick lists */
#endif
    h->policy = policy;
    if (policy != previous && h->start) index_rebuild(h);
    TAGALLOC_CHECK_HEAP();
    return previous;
}

TAGALLOC_EXPORT(tagalloc_get_policy) int tagalloc_get_policy(void) { return the_heap.policy; }

TAGALLOC_EXPORT(tagalloc_set_coalescing) int tagalloc_set_coalescing(int mode) {
    heap *h = &the_heap;
    bool known = mode == TAGALLOC_COALESCE_IMMEDIATE ||
                 (TAGALLOC_ALL_POLICIES && mode == TAGALLOC_COALESCE_DEFERRED);
    if (!known) return -1;
    int previous = h->coalescing;
#if TAGALLOC_QUICK && TAGALLOC_ALL_POLICIES
    if (h->quick_count) quick_flush(h); /* deferred coalescing keeps none */
#endif
    h->coalescing = mode;
    if (mode == TAGALLOC_COALESCE_IMMEDIATE && h->loose) merge_all(h); /* I3 holds again */
    TAGALLOC_CHECK_HEAP();
    return previous;
}

TAGALLOC_EXPORT(tagalloc_get_coalescing) int tagalloc_get_coalescing(void) {
    return the_heap.coalescing;
}

TAGALLOC_EXPORT(tagalloc_rover) uintptr_t tagalloc_rover(void) {
    const heap *h = &the_heap;
    if (!h->start || h->start == h->end) return 0;
    chunk *c = h->rover ? chunk_at(h->rover) : h->start;
    return (uintptr_t)chunk_payload(chunk_is_end(c) ? h->start : c); /* the search wraps */
}

TAGALLOC_EXPORT(tagalloc_set_heap_limit) size_t tagalloc_set_heap_limit(size_t bytes) {
    heap *h = &the_heap;
    uintptr_t base = grow_base();
    size_t previous = h->limit == UINTPTR_MAX ? SIZE_MAX : (size_t)(h->limit - base);
    h->limit = bytes > UINTPTR_MAX - base ? UINTPTR_MAX : base + bytes;
    return previous;
}

TAGALLOC_EXPORT(tagalloc_reset) void tagalloc_reset(void) {
    heap *h = &the_heap;
    heap fresh = {
        .limit = h->limit,
        .policy = h->policy,
        .coalescing = h->coalescing,
        .on_error = h->on_error,
    };
    *h = fresh;
    event_clear();
}

TAGALLOC_EXPORT(tagalloc_last_error) int tagalloc_last_error(void) { return the_heap.last_error; }

TAGALLOC_EXPORT(tagalloc_set_error_handler)
tagalloc_error_handler *tagalloc_set_error_handler(tagalloc_error_handler *handler) {
    tagalloc_error_handler *previous = the_heap.on_error;
    the_heap.on_error = handler;
    return previous;
}
