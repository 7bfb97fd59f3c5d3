/* tagalloc — a boundary-tag heap for WebAssembly (and for native tests).
 *
 * One process (one wasm instance) has one heap. Every call below acts on it. The core itself is
 * not thread-safe: the standalone module, the wasm32-wasi drop-in and the single-threaded
 * Emscripten drop-in are called from one thread (an emcc -pthread link of the latter fails).
 * The -mt builds (build/emscripten-mt/libtagalloc.a, for emcc -pthread; natively, the core with
 * src/lock.c) take one lock around every call below, so each call is atomic with respect to
 * every other, from any thread; a block may be freed by another thread than its allocator's.
 * There, tagalloc_last_error(), tagalloc_check_where() and tagalloc_events() describe the
 * latest call of any thread, and the error handler runs with the lock held (it must not call
 * tagalloc). The chunk layout and the heap invariants are drawn in heap.h. */
#ifndef TAGALLOC_H
#define TAGALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Compile-time knobs (build.sh sets them; defaults here) ---------------------------- */

#ifndef TAGALLOC_DEBUG
#define TAGALLOC_DEBUG 0 /* 0 release, 1 traps on broken invariants, 2 also poisons freed payloads
                          * and runs tagalloc_check() after every call */
#endif
#ifndef TAGALLOC_ALL_POLICIES
#define TAGALLOC_ALL_POLICIES 1 /* 0 keeps only segregated fit, immediate coalescing (drop-ins) */
#endif
#ifndef TAGALLOC_EVENTS
#define TAGALLOC_EVENTS 0 /* 1 records what each call did (search probes, splits, merges) */
#endif
#ifndef TAGALLOC_TRAP_ON_MISUSE
#define TAGALLOC_TRAP_ON_MISUSE 0 /* 1 makes the default error handler trap (libc drop-ins) */
#endif
#ifndef TAGALLOC_FAST_PATHS
#define TAGALLOC_FAST_PATHS 1 /* 0 leaves out malloc's and realloc's fast paths and free's inlined
                               * release: the same heap and results, fewer bytes
                               * (libtagalloc-small.a) */
#endif
#ifndef TAGALLOC_QUICK
#define TAGALLOC_QUICK TAGALLOC_FAST_PATHS /* 1 keeps freed small chunks unmerged on quick
                                            * lists for the next malloc of their size (heap.h) */
#endif
#ifndef TAGALLOC_VICTIM
#define TAGALLOC_VICTIM 1 /* 0 leaves out segregated fit's victim (index.c): fewer bytes, slower
                           * runs of allocations (libtagalloc-small.a) */
#endif
#ifndef TAGALLOC_ARENA_BYTES
#define TAGALLOC_ARENA_BYTES (256u << 20) /* native builds: the fixed arena, reserved lazily */
#endif

/* 16, or max_align_t's alignment where that is larger. On Emscripten max_align_t is 8 and the
 * payloads are 16-aligned all the same: with chunk sizes in steps of 8 a block that grows by a few
 * bytes no longer fits its chunk and moves (sqlite3's 16- to 24-byte reallocs), and the Emscripten
 * drop-in ran 0.85x Emscripten's dlmalloc where it runs 0.90x (bench/README.md). */
#ifndef TAGALLOC_ALIGNMENT
#define TAGALLOC_ALIGNMENT (_Alignof(max_align_t) > 16 ? _Alignof(max_align_t) : 16)
#endif
#define TAGALLOC_ALIGN_MAX 65536u              /* the largest alignment aligned_alloc accepts */

#ifndef TAGALLOC_MODULE_EXPORTS
#define TAGALLOC_MODULE_EXPORTS 0 /* 1 exports the API from a standalone wasm module (JS uses it) */
#endif

#if defined(__wasm__) && TAGALLOC_MODULE_EXPORTS
#define TAGALLOC_EXPORT(name) __attribute__((export_name(#name), visibility("default")))
#else
#define TAGALLOC_EXPORT(name) __attribute__((visibility("default")))
#endif

/* ---- Allocation --------------------------------------------------------------------------- */

/* Returns a payload of at least `request` bytes aligned to TAGALLOC_ALIGNMENT, or NULL when the
 * request is too large or memory cannot grow far enough (every block is then as it was, the heap
 * no larger, and tagalloc_last_error() is TAGALLOC_ERR_OUT_OF_MEMORY; under deferred coalescing
 * the search may first have merged touching free chunks). malloc(0) returns a unique minimum
 * chunk. Cost: segregated scans the request's own size class, else cuts from the rest of its
 * latest split (the victim) or takes the first chunk of the next non-empty class, whichever class
 * is smaller, found in a two-level bitmap (O(1)); first and best fit walk the address-ordered
 * free list; next fit resumes at the rover. */
void *tagalloc_malloc(size_t request);

/* NULL is a no-op. A pointer this heap never returned, or one already freed, changes nothing:
 * it is counted in stats.bad_frees, tagalloc_last_error() returns the code, and the error
 * handler runs (the drop-in libc builds trap by default, like glibc's abort). Cost: O(1)
 * with immediate coalescing (plus the free-list insert: O(free chunks) for the
 * address-ordered policies); deferred coalescing only marks the chunk free. */
void tagalloc_free(void *payload);

/* malloc(count * size) filled with zero bytes; NULL when count * size overflows. */
void *tagalloc_calloc(size_t count, size_t size);

/* NULL payload: malloc(request). Otherwise resizes in place when it can (shrinking splits off
 * the tail; growing takes a free successor or extends the heap when the chunk is last) and
 * else moves: malloc, copy, free. realloc(p, 0) is realloc to a minimum chunk: p stays valid
 * and must still be freed. On failure returns NULL and p is untouched; a bad p is reported
 * as in tagalloc_free and NULL comes back. */
void *tagalloc_realloc(void *payload, size_t request);

/* A payload aligned to `alignment`, a power of two up to TAGALLOC_ALIGN_MAX; the gap in front
 * of it goes back to the heap as a free chunk. NULL with TAGALLOC_ERR_BAD_ALIGNMENT for any
 * other alignment, or with TAGALLOC_ERR_OUT_OF_MEMORY. */
void *tagalloc_aligned_alloc(size_t alignment, size_t request);

/* The bytes the caller may use at payload (>= the request); 0 for NULL or a bad pointer
 * (reported as in tagalloc_free). */
size_t tagalloc_usable_size(const void *payload);

/* ---- Policies, chosen at run time, safe to switch at any moment ---------------------------- */

enum { TAGALLOC_FIT_FIRST, TAGALLOC_FIT_NEXT, TAGALLOC_FIT_BEST, TAGALLOC_FIT_SEGREGATED };
enum { TAGALLOC_COALESCE_IMMEDIATE, TAGALLOC_COALESCE_DEFERRED };

/* Returns the previous policy, or -1 (nothing changes) for an unknown one. Rebuilds the
 * free-chunk index the new policy needs: O(chunks). */
int tagalloc_set_policy(int policy);
int tagalloc_get_policy(void);

/* Returns the previous mode, or -1 for an unknown one (deferred is unknown to a
 * TAGALLOC_ALL_POLICIES=0 build). Switching to immediate merges every pair of touching free
 * chunks first, so invariant I3 holds again. */
int tagalloc_set_coalescing(int mode);
int tagalloc_get_coalescing(void);

/* Payload address of the chunk where next fit's search starts: the remainder split from the
 * chunk last placed, else the chunk after it; the first chunk before any placement. */
uintptr_t tagalloc_rover(void);

/* Caps the heap at `bytes`, counted from the platform's base (wasm: __heap_base; natively: the
 * arena's start) to the heap's end; growth past it fails as out of memory. The first chunk
 * starts up to TAGALLOC_ALIGNMENT - 4 bytes after the base, so that its payload is aligned.
 * Returns the previous cap. SIZE_MAX means no cap beyond the platform's. */
size_t tagalloc_set_heap_limit(size_t bytes);

/* Forgets every chunk: the heap becomes empty, as before the first call. Memory already
 * obtained from the platform is kept and used again. */
void tagalloc_reset(void);

/* ---- Introspection --------------------------------------------------------------------------- */

typedef struct tagalloc_chunk {
    uintptr_t payload; /* the address malloc returns for that chunk */
    size_t size;       /* the whole chunk, tags included, bytes */
    int used;
} tagalloc_chunk;

/* Fills out[0..max) with the chunks in address order; returns how many chunks the heap has. */
size_t tagalloc_walk(tagalloc_chunk *out, size_t max);

/* As tagalloc_walk, from the chunk whose payload is `payload` (0: the first chunk); returns how
 * many chunks there are from it to the end (0 if `payload` is not a chunk's). The chunk after
 * out[i] has payload out[i].payload + out[i].size, so a caller can page through the heap. */
size_t tagalloc_walk_from(uintptr_t payload, tagalloc_chunk *out, size_t max);

typedef struct tagalloc_stats {
    size_t heap_size;    /* bytes from the first chunk to the heap's end */
    size_t in_use;       /* bytes in used chunks, tags included */
    size_t free;         /* bytes in free chunks */
    size_t free_chunks;  /* count */
    size_t largest_free; /* bytes, the largest free chunk */
    size_t peak_heap;    /* bytes, the largest heap_size so far */
    size_t peak_in_use;  /* bytes, the largest in_use so far */
    size_t bad_frees;    /* count of frees, reallocs and usable_size calls on bad pointers */
    uintptr_t heap_start; /* address of the first chunk */
} tagalloc_stats; /* in_use + free + the end tag == heap_size */

/* Cost: O(chunks) for free_chunks and largest_free; the rest are kept as the heap changes. */
void tagalloc_get_stats(tagalloc_stats *out);

enum {
    TAGALLOC_CHECK_OK,
    TAGALLOC_CHECK_I1, /* a chunk's size is aligned and >= CHUNK_MIN; a free chunk's foot = head */
    TAGALLOC_CHECK_I2, /* chunks tile the heap exactly, from its start to the end tag */
    TAGALLOC_CHECK_I3, /* no two free chunks touch (immediate coalescing only) */
    TAGALLOC_CHECK_I4, /* a chunk is on the free index iff it is free (but the segregated top
                        * and victim); links agree both ways */
    TAGALLOC_CHECK_I5, /* each chunk's PREV_USED bit tells whether the chunk before it is used */
    TAGALLOC_CHECK_I6, /* the rover is a chunk; top is the free last chunk; in_use matches */
    TAGALLOC_CHECK_I7, /* a chunk is quick iff it is on its size's quick list, counted once */
};

/* Verifies every invariant in heap.h, writing nothing; returns the first that is broken
 * (TAGALLOC_CHECK_OK when all hold). Cost: O(chunks). */
int tagalloc_check(void);

/* Payload address of the chunk where the last failed tagalloc_check() found the break
 * (0 when it was not at a chunk). */
uintptr_t tagalloc_check_where(void);

/* ---- Errors -------------------------------------------------------------------------------- */

enum {
    TAGALLOC_ERR_NONE,
    TAGALLOC_ERR_DOUBLE_FREE,     /* the chunk is already free */
    TAGALLOC_ERR_INVALID_POINTER, /* outside the heap, or misaligned (see CORRUPTED_CHUNK) */
    TAGALLOC_ERR_CORRUPTED_CHUNK, /* the tags around the chunk disagree: overwritten memory, or a
                                   * pointer that is not where a chunk starts */
    TAGALLOC_ERR_OUT_OF_MEMORY,   /* the request is too large or the heap cannot grow */
    TAGALLOC_ERR_BAD_ALIGNMENT,   /* aligned_alloc: not a power of two up to TAGALLOC_ALIGN_MAX */
};

/* The outcome of the latest allocation call (malloc, calloc, realloc, aligned_alloc, free,
 * usable_size): TAGALLOC_ERR_NONE when it succeeded. */
int tagalloc_last_error(void);

/* Called with the code and the pointer for each bad pointer (the first three codes), after the
 * call has been refused and counted. NULL: no handler. Returns the previous handler. */
typedef void tagalloc_error_handler(int code, void *pointer);
tagalloc_error_handler *tagalloc_set_error_handler(tagalloc_error_handler *handler);

/* ---- Events (TAGALLOC_EVENTS builds): what the latest call did, for the demo page --------- */

enum {
    TAGALLOC_EVENT_PROBE, /* the search looked at this free chunk */
    TAGALLOC_EVENT_PLACE, /* the request was placed in this chunk */
    TAGALLOC_EVENT_SPLIT, /* this free remainder was split off */
    TAGALLOC_EVENT_MERGE, /* free chunks merged into this one (size: after the merge) */
    TAGALLOC_EVENT_GROW,  /* the heap grew; size: by how many bytes */
    TAGALLOC_EVENT_FREE,  /* this chunk became free */
    TAGALLOC_EVENT_DROPPED, /* the log was cut here: size probes and payload other events
                             * happened later and are not listed */
};
typedef struct tagalloc_event {
    int kind;
    uintptr_t payload;
    size_t size; /* the chunk's size at the time, bytes */
} tagalloc_event;

#define TAGALLOC_EVENT_MAX 1024 /* records in the log, bytes: 1024 * sizeof(tagalloc_event) */

/* The events of the latest call, oldest first; *count is how many records there are, at most
 * TAGALLOC_EVENT_MAX. A search keeps its first TAGALLOC_EVENT_MAX / 2 probes; beyond that, one
 * TAGALLOC_EVENT_DROPPED record counts the rest, so the placement, split, merges and growth
 * after a long search are always listed (only a call with more than about 500 of those loses
 * its latest ones, counted the same way). Builds without TAGALLOC_EVENTS always report 0. */
const tagalloc_event *tagalloc_events(size_t *count);

/* Turns recording on or off (on by default in TAGALLOC_EVENTS builds); returns the previous. */
bool tagalloc_set_events(bool on);

#endif
