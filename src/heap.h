/* The chunk layout and the heap invariants: drawn here once, above the code that depends on them.
 * Only this header does pointer arithmetic on tags; policy code calls chunk_next() and friends.
 *
 *        chunk                                                  chunk + size
 *        v                                                                 v
 *        +------+--------------------------------------------------+------+
 *        | head | payload                                  (used)  ..... |   no foot: the
 *        | head | next | prev | ...                        (free)  | foot |   payload runs on
 *        +------+--------------------------------------------------+------+
 *               ^ payload = chunk + TAG_BYTES, aligned to TAGALLOC_ALIGNMENT
 *
 *   head = size | TAG_USED? | TAG_PREV_USED? | TAG_QUICK?   foot (free chunks only) = size
 *   size % TAGALLOC_ALIGNMENT == 0, size >= CHUNK_MIN, tags are 4 bytes (uint32_t) everywhere.
 *
 * A used chunk carries only its head: TAG_PREV_USED in the next head says that the chunk before
 * is used, so a merge never reads a foot that is not there. That saves 4 bytes a used chunk
 * (a request of n bytes takes align_up(n + 4) bytes, not align_up(n + 8)). next/prev are the
 * free-index links, stored as 32-bit offsets from the heap's origin (0 on wasm32, so there
 * they are plain addresses). Each list is circular around a sentinel in the heap struct
 * (bin_link): it ends where it comes back there, never at 0.
 *
 *   heap start                                                                   heap end
 *   v                                                                                   v
 *   +---------+---------+-- ... --+---------+------+
 *   | chunk 0 | chunk 1 |         | chunk n | end  |   the end tag is a head of size 0, used:
 *   +---------+---------+-- ... --+---------+------+   walks stop at it, merges never pass it
 *   chunk 0's TAG_PREV_USED is set, so nothing ever merges backwards off the heap's start;
 *   the start is placed so that chunk 0's payload is aligned.
 *
 *   I1 a chunk's size is aligned and >= CHUNK_MIN; a free chunk's foot equals its size
 *   I2 chunks tile [heap start, end tag) exactly; the end tag is size 0, used
 *   I3 no two free chunks touch (immediate coalescing; deferred allows it until a merge pass)
 *   I4 a chunk is on the free index iff it is free, in the bin (or address order) its policy
 *      says; list links agree both ways and come back to the list's sentinel; a bin's bitmap
 *      bit is set iff the bin is non-empty.
 *      Under the segregated policy two free chunks stay off the bins (index.c): the last
 *      chunk, the top, when free; and the victim, a free chunk that is not the top, or none
 *   I5 a chunk's TAG_PREV_USED bit equals the used state of the chunk before it
 *   I6 the rover is a chunk (or 0); top is the last chunk when that is free, else NULL; the
 *      in_use count equals the sum of used chunk sizes (quick chunks not counted)
 *   I7 a chunk has TAG_QUICK iff it is on the quick list of its size; quick_count counts them
 *
 * Quick lists (TAGALLOC_QUICK, the fast drop-ins): a freed chunk below QUICK_BYTES keeps TAG_USED,
 * gains TAG_QUICK and goes on a singly linked list of its size (its payload's first word links
 * it), unmerged, for the next malloc of that size to take back whole. To its neighbours it is
 * still used, so I3 holds; to free, realloc and the walk it is free. Only small chunks wait:
 * those cut from the high ends of free chunks (SMALL_CHUNK), where they gather apart from the
 * larger ones, and the next two sizes (128 and 144 bytes: the realloc trace's 128-byte blocks
 * then come and go without a merge, 0.70x to 0.83x). A larger chunk waiting among large blocks
 * keeps them from merging: waiting chunks of up to 176 or 240 bytes cost the malloc-lab compiler
 * traces a quarter of their speed (bench/README.md, sixth and eighth rounds). At most
 * QUICK_MAX wait: past that a free merges as before, so lists stay short (a long list's chunks are
 * cold when malloc takes them back). A malloc that would grow the heap and a policy switch release
 * them all (quick_flush), merging as free does, so the heap grows only when no merge could serve
 * (bench/README.md, fifth round). Freeing the last block in use leaves them waiting, as glibc's
 * tcache does: merging them there made a malloc and free in a loop, with nothing else in use,
 * merge and split the same chunk every time (bench/README.md, sixth round).                      */
#ifndef TAGALLOC_HEAP_H
#define TAGALLOC_HEAP_H

#include "tagalloc.h"

/* The index's small functions, inlined into malloc and free where speed is asked for. */
#if TAGALLOC_FAST_PATHS
#define HOT inline __attribute__((always_inline))
#else
#define HOT
#endif

typedef uint32_t tag;  /* a head or foot word */
typedef uint32_t link; /* a free-index link: offset from the heap's origin (rover, victim: 0 = none) */
typedef unsigned char chunk; /* a chunk is addressed by its head tag */

#define TAG_BYTES ((uint32_t)sizeof(tag))
#define LINK_BYTES ((uint32_t)sizeof(link))
#define TAG_USED 1u
#define TAG_PREV_USED 2u
#define TAG_QUICK 4u /* used, but freed onto a quick list */
#define TAG_FLAGS (TAGALLOC_ALIGNMENT - 1)
#define ALIGN ((uint32_t)TAGALLOC_ALIGNMENT)
#define CHUNK_MIN align_up(2 * TAG_BYTES + 2 * LINK_BYTES, ALIGN)
#define CHUNK_SIZE_MAX (UINT32_MAX & ~(uint32_t)(TAGALLOC_ALIGN_MAX - 1)) /* sizes fit in a tag */
#define REQUEST_MAX (CHUNK_SIZE_MAX - TAG_BYTES - ALIGN) /* larger requests fail up front */

_Static_assert((TAGALLOC_ALIGNMENT & (TAGALLOC_ALIGNMENT - 1)) == 0, "alignment is a power of two");
_Static_assert(TAGALLOC_ALIGNMENT >= 8, "the low 3 bits of a size are free for flags");
_Static_assert(TAGALLOC_ALIGNMENT <= TAGALLOC_ALIGN_MAX, "aligned_alloc covers the default");
_Static_assert(2 * sizeof(tag) + 2 * sizeof(link) <= TAGALLOC_ALIGNMENT, "CHUNK_MIN is one ALIGN");

static inline uint32_t align_up(uint32_t n, uint32_t alignment) {
    return (n + alignment - 1) & ~(alignment - 1);
}

/* ---- Checks in three strengths ----------------------------------------------------------- */

#if TAGALLOC_DEBUG >= 1
#define TAGALLOC_ASSERT(cond) ((cond) ? (void)0 : __builtin_trap())
#else
#define TAGALLOC_ASSERT(cond) ((void)0)
#endif
#if TAGALLOC_DEBUG >= 2
#define TAGALLOC_CHECK_HEAP() (tagalloc_check() == TAGALLOC_CHECK_OK ? (void)0 : __builtin_trap())
#else
#define TAGALLOC_CHECK_HEAP() ((void)0)
#endif

/* ---- The heap ------------------------------------------------------------------------------ */

#define BIN_EXACT_BYTES 512u /* below this a size class is one size (dlmalloc's smallbins) */
#define BIN_EXACT (BIN_EXACT_BYTES / ALIGN)
#define BIN_EXACT_LOG2 9u
#define BIN_SUB_LOG2 5u /* above, each power-of-two range splits into 32 classes, 16 bytes wide
                          * from 512 to 1,024: a chunk from the next class is at most 1/32 too
                          * large. Against 1/16 from 256 bytes: cp-decl's heap 4,080 bytes lower,
                          * gcc's 61 KB, random2's 70 KB higher (bench/README.md, tenth round) */
#define BIN_SUBS (1u << BIN_SUB_LOG2)
#define BIN_COUNT (BIN_EXACT + (32 - BIN_EXACT_LOG2) * BIN_SUBS)
#define BIN_WORDS ((BIN_COUNT + 31) / 32)
_Static_assert(BIN_EXACT_BYTES == 1u << BIN_EXACT_LOG2, "the classes above start at a power of 2");
_Static_assert(BIN_WORDS <= 32, "one summary word indexes every bitmap word");
_Static_assert(BIN_EXACT <= 32, "malloc finds an exact class's bit in bitmap[0]");

#define SMALL_CHUNK 128u /* below this a chunk is cut from the high end of a free one (heap.c) */
/* QUICK_BYTES and QUICK_MAX may be set with -D for experiments (bench/README.md's variants were
 * built that way: QUICK_BYTES at 128 to 256, QUICK_MAX at 0, 32, 64 and 256); the libraries use
 * these values. */
#ifndef QUICK_BYTES
#define QUICK_BYTES 160u /* chunks below this size wait on quick lists (see the top) */
#endif
#ifndef QUICK_MAX
#define QUICK_MAX 256u              /* at most this many chunks wait there */
#endif
#define QUICK_FLUSHING 0x80000000u /* in quick_count while quick_flush empties the lists */

/* The size class of a chunk size: its bin under the segregated policy. */
static inline uint32_t bin_of(uint32_t size) {
    if (size < BIN_EXACT_BYTES) return size / ALIGN;
    uint32_t log = 31 - (uint32_t)__builtin_clz(size);
    uint32_t sub = (size >> (log - BIN_SUB_LOG2)) & (BIN_SUBS - 1);
    return BIN_EXACT + (log - BIN_EXACT_LOG2) * BIN_SUBS + sub;
}

typedef struct heap {
    uintptr_t origin;   /* links and the rover are offsets from here */
    chunk *start;       /* chunk 0; NULL until the first growth */
    chunk *end;         /* the end tag */
    chunk *top;         /* the last chunk when it is free, else NULL: kept here, as dlmalloc
                         * keeps its top, so that cutting from it reads no tags to find it */
    uintptr_t limit;    /* the end tag may not pass this address */
    uint32_t in_use, peak_in_use, peak_heap, bad_frees;
    link rover;         /* next fit resumes here (a chunk, used or free) */
    link victim;        /* segregated: a free chunk held off the bins for the next split (or 0) */
    int policy, coalescing, last_error;
    bool loose;         /* deferred mode: some free chunks may touch */
    bool nested;        /* the next call comes from inside one (release_inside): it keeps
                         * that call's events */
    uint32_t summary;   /* bit w: bitmap[w] != 0 */
    uint32_t bitmap[BIN_WORDS]; /* bit b: bins[b] is non-empty (segregated policy) */
    link bins[BIN_COUNT][2];    /* each list's sentinel: [0] its first chunk, [1] its last.
                                 * Segregated: a list a class; the others: bins[0] in address order */
    tagalloc_error_handler *on_error;
    uint32_t quick_count;            /* chunks on the quick lists (| QUICK_FLUSHING) */
    link quick[QUICK_BYTES / ALIGN]; /* the list of each size below QUICK_BYTES (0: empty) */
} heap;

extern heap the_heap;

/* Segregated fit with immediate coalescing is all that a TAGALLOC_ALL_POLICIES=0 build has. */
static inline bool heap_is_segregated(const heap *h) {
    return !TAGALLOC_ALL_POLICIES || h->policy == TAGALLOC_FIT_SEGREGATED;
}
static inline bool heap_is_deferred(const heap *h) {
    return TAGALLOC_ALL_POLICIES && h->coalescing == TAGALLOC_COALESCE_DEFERRED;
}

/* ---- Chunks -------------------------------------------------------------------------------- */

static inline tag *chunk_head(chunk *c) { return (tag *)c; }
static inline uint32_t chunk_size(const chunk *c) { return *(const tag *)c & ~(uint32_t)TAG_FLAGS; }
static inline bool chunk_is_used(const chunk *c) { return *(const tag *)c & TAG_USED; }
/* Used and not on a quick list: in a block the program holds. */
static inline bool chunk_is_held(const chunk *c) {
    return (*(const tag *)c & (TAG_USED | (TAGALLOC_QUICK ? TAG_QUICK : 0))) == TAG_USED;
}
static inline bool chunk_is_prev_used(const chunk *c) { return *(const tag *)c & TAG_PREV_USED; }
static inline bool chunk_is_end(const chunk *c) { return chunk_size(c) == 0; }
static inline chunk *chunk_next(chunk *c) { return c + chunk_size(c); }
static inline tag *chunk_foot(chunk *c) { return (tag *)(c + chunk_size(c) - TAG_BYTES); }
/* Only when !chunk_is_prev_used(c): the foot before c tells the previous chunk's size. */
static inline chunk *chunk_prev(chunk *c) { return c - ((tag *)c)[-1]; }
static inline void *chunk_payload(chunk *c) { return c + TAG_BYTES; }
static inline chunk *chunk_from_payload(const void *payload) {
    return (chunk *)payload - TAG_BYTES;
}
/* The free-index links in a free chunk's payload: [0] next, [1] prev. */
static inline link *chunk_links(chunk *c) { return (link *)(c + TAG_BYTES); }

#if defined(__wasm__)
#define HEAP_ORIGIN ((uintptr_t)0) /* links are plain addresses: no add on every hop */
#else
#define HEAP_ORIGIN (the_heap.origin)
#endif
static inline link chunk_link(const chunk *c) { return (link)((uintptr_t)c - HEAP_ORIGIN); }
/* Signed: natively a list's sentinel, in the heap struct, may lie below the arena. */
static inline chunk *chunk_at(link l) { return (chunk *)(HEAP_ORIGIN + (uintptr_t)(int32_t)l); }

/* The sentinel of a bin's list: the node in the heap struct addressed as a chunk whose links
 * are h->bins[bin]. An empty list is its sentinel linked to itself. */
static inline link bin_link(const heap *h, uint32_t bin) {
    return chunk_link((const chunk *)h->bins[bin] - TAG_BYTES);
}

/* Sets the head, keeping c's TAG_PREV_USED bit; a free chunk also gets its foot. */
static inline void chunk_set(chunk *c, uint32_t size, bool used) {
    *chunk_head(c) = size | (*chunk_head(c) & TAG_PREV_USED) | (used ? TAG_USED : 0);
    if (!used) *chunk_foot(c) = size;
}
static inline void chunk_set_prev_used(chunk *c, bool prev_used) {
    *chunk_head(c) = (*chunk_head(c) & ~TAG_PREV_USED) | (prev_used ? TAG_PREV_USED : 0);
}

/* The chunk size that serves a request: the head plus the payload, aligned, at least CHUNK_MIN.
 * The caller has refused requests above REQUEST_MAX, so this does not wrap, and even a request
 * of 0 takes one ALIGN, which is CHUNK_MIN: no floor is needed, only the compiler told so (a
 * floor's select on every malloc cost the drop-in 13 bytes; without either, clang laid out the
 * small drop-in's search 17 bytes larger: bench/README.md, eleventh round). */
static inline uint32_t chunk_size_for(size_t request) {
    uint32_t size = align_up((uint32_t)request + TAG_BYTES, ALIGN); /* next payload stays aligned */
    if (size < ALIGN) __builtin_unreachable();
    return size;
}

/* ---- The free-chunk index (index.c) -------------------------------------------------------- */

#if defined(TAGALLOC_CORE) /* src/tagalloc.c: the core is one translation unit */
static void index_insert(heap *h, chunk *c);
static bool index_remove(heap *h, chunk *c);       /* true: c was the victim */
static void index_link(heap *h, chunk *c, uint32_t size); /* c is free, not the top */
static void index_hold(heap *h, chunk *c);        /* the rest of a split: kept for the next
                                                   * request */
static chunk *index_take(heap *h, uint32_t size, bool whole_class); /* a free chunk of at
                                                   * least size, by policy, taken off the index;
                                                   * NULL. Segregated looks at a few chunks of
                                                   * the request's class, or all of them */
static bool index_holds(heap *h, uint32_t size);  /* a free chunk, not the top, holds size */
static void index_rebuild(heap *h);               /* after a policy switch; also sets up the
                                                   * lists' sentinels */
#endif

/* ---- Events (TAGALLOC_EVENTS) -------------------------------------------------------------- */

#if TAGALLOC_EVENTS
void event_record(int kind, chunk *c, uint32_t size);
void event_clear(void);
#else
static inline void event_record(int kind, chunk *c, uint32_t size) {
    (void)kind, (void)c, (void)size;
}
static inline void event_clear(void) {}
#endif

/* ---- The platform (grow.c, the only platform code) ----------------------------------------- */

uintptr_t grow_base(void);       /* the first address the heap may use */
bool grow_reserve(uintptr_t end); /* makes [grow_base(), end) usable memory; false if it cannot */

#endif
