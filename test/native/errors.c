/* The error model, natively: every bad pointer is refused with its code, counted, handed to the
 * error handler, and leaves every heap byte as it was; impossible sizes come back NULL and never
 * wrap; a small arena fills until allocation fails and empties back to one free chunk.
 *   errors            runs every case          errors --list   prints the cases, one a line
 *   errors N          runs case N only (the node test runs each case in its own process)
 * Prints "ok N - case" or "not ok N - case" with the failed expectations; exits 1 on a failure.
 * Built (build.sh build_native_tests) over TAGALLOC_ARENA_BYTES = 1 MiB, under ASan and UBSan, as
 * errors (release checks), errors-debug (TAGALLOC_DEBUG=2) and errors-trap (the drop-ins'
 * default handler, TAGALLOC_TRAP_ON_MISUSE=1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/heap.h" /* REQUEST_MAX, CHUNK_MIN and TAG_BYTES: the limits under test */

#define ARENA TAGALLOC_ARENA_BYTES
_Static_assert(ARENA <= (16u << 20), "a word of fill bytes reads as a size beyond the heap");

/* ---- Expectations ---------------------------------------------------------------------------- */

static int failures;
#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            printf("#   line %d: ", __LINE__);                                                     \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static struct {
    int calls, code;
    void *pointer;
} seen; /* what the error handler was given */

static void on_error(int code, void *pointer) {
    seen.calls++;
    seen.code = code;
    seen.pointer = pointer;
}

/* ---- The heap as a snapshot: stats, the walk and every byte from its start to the end tag ---- */

#define WALK_MAX 4096
typedef struct snapshot {
    tagalloc_stats stats;
    size_t chunks;
    tagalloc_chunk walk[WALK_MAX];
    size_t bytes;
    unsigned char heap[ARENA];
} snapshot;

static snapshot before, after;

/* Stats and walks follow the heads, so over a broken head (`walkable` false) only the bytes are
 * taken, over the range the last walkable snapshot saw. */
static void take(snapshot *s, bool walkable) {
    static uintptr_t start;
    static size_t bytes;
    memset(&s->stats, 0, sizeof s->stats);
    s->chunks = 0;
    if (walkable) {
        tagalloc_get_stats(&s->stats);
        s->chunks = tagalloc_walk(s->walk, WALK_MAX);
        start = s->stats.heap_start;
        bytes = s->stats.heap_size;
    }
    s->bytes = bytes;
    memcpy(s->heap, (const void *)start, bytes);
}

/* Nothing but bad_frees changed: the stats, the walk, every heap byte. */
static bool unchanged(const snapshot *a, const snapshot *b, size_t more_bad_frees) {
    tagalloc_stats sa = a->stats, sb = b->stats;
    if (a->stats.heap_start) sa.bad_frees += more_bad_frees;
    return !memcmp(&sa, &sb, sizeof sa) && a->chunks == b->chunks &&
           !memcmp(a->walk, b->walk, a->chunks * sizeof a->walk[0]) && a->bytes == b->bytes &&
           !memcmp(a->heap, b->heap, a->bytes);
}

static const char *const CODES[] = {"NONE", "DOUBLE_FREE", "INVALID_POINTER", "CORRUPTED_CHUNK",
                                    "OUT_OF_MEMORY", "BAD_ALIGNMENT"};

enum { VIA_FREE, VIA_REALLOC, VIA_USABLE_SIZE, VIA_COUNT };
static const char *const VIAS[] = {"free", "realloc", "usable_size"};

/* Hands `pointer` to free, realloc and usable_size in turn. Each must refuse it with `code`:
 * NULL or 0 back, last_error and the handler get the code and the pointer, bad_frees counts
 * one, and the heap is byte for byte as it was. `walkable`: the heap's tags are intact, so the
 * walk can be compared and tagalloc_check() must pass. */
static void expect_refused(void *pointer, int code, bool walkable) {
    for (int via = 0; via < VIA_COUNT; via++) {
        take(&before, walkable);
        seen.calls = 0;
        uintptr_t result = 1;
        if (via == VIA_FREE) {
            tagalloc_free(pointer);
            result = 0;
        } else if (via == VIA_REALLOC) {
            result = (uintptr_t)tagalloc_realloc(pointer, 100);
        } else {
            result = tagalloc_usable_size(pointer);
        }
        take(&after, walkable);
        const char *name = VIAS[via];
        EXPECT(result == 0, "%s(%p) returned %#lx", name, pointer, (unsigned long)result);
        EXPECT(tagalloc_last_error() == code, "%s(%p): last_error %s, expected %s", name, pointer,
               CODES[tagalloc_last_error()], CODES[code]);
        EXPECT(seen.calls == 1 && seen.code == code && seen.pointer == pointer,
               "%s(%p): handler called %d times, last with %s and %p", name, pointer, seen.calls,
               CODES[seen.code], seen.pointer);
        EXPECT(unchanged(&before, &after, 1), "%s(%p) changed the heap (or did not count it)",
               name, pointer);
        if (walkable)
            EXPECT(tagalloc_check() == TAGALLOC_CHECK_OK, "%s(%p): check %d", name, pointer,
                   tagalloc_check());
    }
}

/* ---- Blocks with a fill, checked before they are freed --------------------------------------- */

/* Fills every usable byte (not just the request), so no stale tag survives inside a payload. */
static unsigned char *filled(unsigned char *payload, unsigned char fill) {
    if (payload) memset(payload, fill, tagalloc_usable_size(payload));
    return payload;
}

static bool intact(const unsigned char *payload, size_t bytes, unsigned char fill) {
    for (size_t i = 0; i < bytes; i++)
        if (payload[i] != fill) return false;
    return true;
}

static void free_checked(unsigned char *payload, unsigned char fill) {
    EXPECT(intact(payload, tagalloc_usable_size(payload), fill), "fill %#x at %p changed", fill,
           (void *)payload);
    tagalloc_free(payload);
    EXPECT(tagalloc_last_error() == TAGALLOC_ERR_NONE, "free(%p): error %s", (void *)payload,
           CODES[tagalloc_last_error()]);
    EXPECT(tagalloc_check() == TAGALLOC_CHECK_OK, "check %d after free(%p)", tagalloc_check(),
           (void *)payload);
}

/* The heap holds one free chunk (or nothing) once the blocks waiting on quick lists merge (a
 * policy call empties the lists, as a malloc that would grow the heap does), and every bad
 * pointer was counted. */
static void expect_empty(size_t bad_frees) {
    tagalloc_stats stats;
    tagalloc_set_policy(tagalloc_get_policy());
    tagalloc_get_stats(&stats);
    EXPECT(stats.in_use == 0 && stats.free_chunks <= 1, "in_use %zu bytes, %zu free chunks",
           stats.in_use, stats.free_chunks);
    EXPECT(stats.bad_frees == bad_frees, "bad_frees %zu, expected %zu", stats.bad_frees, bad_frees);
    EXPECT(tagalloc_check() == TAGALLOC_CHECK_OK, "check %d", tagalloc_check());
}

/* ---- Bad pointers -------------------------------------------------------------------------- */

static void outside_the_heap(void) {
    unsigned char *a = filled(tagalloc_malloc(40), 0xa1), *b = filled(tagalloc_malloc(40), 0xb2);
    tagalloc_stats stats;
    tagalloc_get_stats(&stats);
    unsigned char *start = (unsigned char *)stats.heap_start, *end = start + stats.heap_size;
    static unsigned char global[64];
    unsigned char local[64];
    unsigned char *outside[] = {
        start - 12,           /* an aligned address just below chunk 0's payload */
        start + TAG_BYTES - ALIGN, /* chunk 0's payload minus one alignment step */
        end,                  /* one past the end tag: what a chunk after the last would return */
        end + 4096,           /* beyond the heap's end, inside the arena */
        (unsigned char *)(uintptr_t)ALIGN, /* a small aligned number */
        global + 16 - (uintptr_t)global % 16, local + 16 - (uintptr_t)local % 16,
    };
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++)
        expect_refused(outside[i], TAGALLOC_ERR_INVALID_POINTER, true);
    free_checked(a, 0xa1);
    free_checked(b, 0xb2);
    expect_empty(3 * (sizeof outside / sizeof outside[0]));
}

static void misaligned(void) {
    unsigned char *a = filled(tagalloc_malloc(100), 0x31);
    for (int off = 1; off < (int)ALIGN; off++)
        expect_refused(a + off, TAGALLOC_ERR_INVALID_POINTER, true);
    expect_refused(a - 1, TAGALLOC_ERR_INVALID_POINTER, true);
    free_checked(a, 0x31);
    expect_empty(3 * ALIGN);
}

static void into_a_payload(void) {
    static const unsigned char fills[] = {0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0xfe, 0xff};
    unsigned char *block[sizeof fills];
    for (size_t i = 0; i < sizeof fills; i++) block[i] = filled(tagalloc_malloc(200), fills[i]);
    for (size_t i = 0; i < sizeof fills; i++)
        for (size_t off = ALIGN; off < tagalloc_usable_size(block[i]); off += ALIGN)
            expect_refused(block[i] + off, TAGALLOC_ERR_CORRUPTED_CHUNK, true);
    for (size_t i = 0; i < sizeof fills; i++) free_checked(block[i], fills[i]);
    tagalloc_stats stats;
    tagalloc_get_stats(&stats);
    EXPECT(stats.bad_frees > 0, "no pointer was refused");
    expect_empty(stats.bad_frees);
}

/* A pointer into a payload whose preceding bytes imitate a used chunk: the release check cannot
 * tell it from a chunk; the debug build walks the heap and refuses it. */
static void imitation_in_debug(void) {
    unsigned char *a = filled(tagalloc_malloc(200), 0x11), *b = filled(tagalloc_malloc(40), 0x22);
    uint32_t fake = 64; /* a used chunk of 64 bytes at a + 12, then one whose PREV_USED says so */
    uint32_t head = fake | TAG_USED | TAG_PREV_USED, next = 64 | TAG_USED | TAG_PREV_USED;
    memcpy(a + 12, &head, sizeof head);
    memcpy(a + 12 + fake, &next, sizeof next);
    expect_refused(a + 16, TAGALLOC_ERR_CORRUPTED_CHUNK, true);
    tagalloc_free(a);
    free_checked(b, 0x22);
    expect_empty(3);
}

static void at_a_free_chunk(void) {
    unsigned char *a = filled(tagalloc_malloc(40), 0x41), *b = filled(tagalloc_malloc(400), 0x42);
    unsigned char *c = filled(tagalloc_malloc(40), 0x43);
    free_checked(b, 0x42);
    unsigned char *d = filled(tagalloc_malloc(100), 0x44); /* splits b: a free remainder follows */
    tagalloc_chunk walk[8];
    size_t n = tagalloc_walk(walk, 8), free_seen = 0;
    for (size_t i = 0; i < n && i < 8; i++) {
        if (walk[i].used) continue;
        free_seen++; /* the remainder and the heap's free tail were never returned as such */
        expect_refused((void *)walk[i].payload, TAGALLOC_ERR_DOUBLE_FREE, true);
    }
    EXPECT(free_seen >= 1, "no free chunk to point at");
    free_checked(a, 0x41);
    free_checked(c, 0x43);
    free_checked(d, 0x44);
    expect_empty(3 * free_seen);
}

/* Frees `victim` twice in the layout [a][victim][b][guard], with a or b free first as asked; the
 * second free must be refused as DOUBLE_FREE. */
static void double_free_with(int policy, int mode, bool a_free, bool b_free) {
    tagalloc_reset();
    tagalloc_set_policy(policy);
    tagalloc_set_coalescing(mode);
    unsigned char *a = filled(tagalloc_malloc(60), 0x51);
    unsigned char *victim = filled(tagalloc_malloc(60), 0x52);
    unsigned char *b = filled(tagalloc_malloc(60), 0x53);
    unsigned char *guard = filled(tagalloc_malloc(60), 0x54);
    if (a_free) free_checked(a, 0x51);
    if (b_free) free_checked(b, 0x53);
    free_checked(victim, 0x52);
    expect_refused(victim, TAGALLOC_ERR_DOUBLE_FREE, true);
    if (!a_free) free_checked(a, 0x51);
    if (!b_free) free_checked(b, 0x53);
    free_checked(guard, 0x54);
    tagalloc_set_coalescing(TAGALLOC_COALESCE_IMMEDIATE);
    expect_empty(3);
}

static void double_free(void) {
    for (int policy = TAGALLOC_FIT_FIRST; policy <= TAGALLOC_FIT_SEGREGATED; policy++) {
        for (int mode = TAGALLOC_COALESCE_IMMEDIATE; mode <= TAGALLOC_COALESCE_DEFERRED; mode++) {
            double_free_with(policy, mode, false, false);
            double_free_with(policy, mode, false, true); /* merged with the free chunk after it */
            double_free_with(policy, mode, true, false); /* merged into the one before: its stale
                                                          * head still reads free */
        }
    }
}

/* ---- Quick lists (heap.h; these builds keep them) ----------------------------------------- */

static bool walk_says_used(const void *payload) {
    static tagalloc_chunk walk[WALK_MAX];
    size_t chunks = tagalloc_walk(walk, WALK_MAX);
    for (size_t i = 0; i < chunks && i < WALK_MAX; i++)
        if (walk[i].payload == (uintptr_t)payload) return walk[i].used;
    return true;
}

/* A freed small block waits on its size's quick list, unmerged: a second free, realloc and
 * usable_size refuse it as DOUBLE_FREE, the walk and the stats count it free, and the next
 * malloc of its size takes it back. A malloc that cannot be served without growing the heap
 * first empties the lists, so their chunks merge, even when it then fails. No more than
 * QUICK_MAX wait; past that a free merges, and leaves them to the next malloc that would grow
 * the heap. Only chunks below QUICK_BYTES wait; the last block in use waits too. */
static void quick_lists(void) {
    EXPECT(TAGALLOC_QUICK, "built without quick lists");
    unsigned char *first = filled(tagalloc_malloc(60), 0x60); /* grows the heap: its low end */
    unsigned char *a = filled(tagalloc_malloc(60), 0x61), *b = filled(tagalloc_malloc(60), 0x62);
    unsigned char *c = filled(tagalloc_malloc(60), 0x63);
    unsigned char *guard = filled(tagalloc_malloc(60), 0x64);
    tagalloc_stats stats, then;
    tagalloc_get_stats(&then);
    free_checked(b, 0x62);
    tagalloc_get_stats(&stats);
    EXPECT(!walk_says_used(b) && stats.in_use == then.in_use - 64 &&
               stats.free_chunks == then.free_chunks + 1,
           "a quick chunk reads as used, or is not counted free");
    expect_refused(b, TAGALLOC_ERR_DOUBLE_FREE, true);
    unsigned char *again = tagalloc_malloc(60);
    EXPECT(again == b, "malloc(60) took %p, not the quick chunk %p", (void *)again, (void *)b);
    free_checked(filled(again, 0x62), 0x62);
    free_checked(a, 0x61);
    free_checked(c, 0x63); /* a, b and c touch, and wait apart */
    tagalloc_get_stats(&then);
    tagalloc_set_heap_limit(then.heap_size); /* nothing fits without growing, or merging */
    EXPECT(tagalloc_malloc(then.largest_free) == 0 &&
               tagalloc_last_error() == TAGALLOC_ERR_OUT_OF_MEMORY,
           "a request larger than every free chunk was served");
    tagalloc_get_stats(&stats);
    EXPECT(stats.free_chunks + 2 <= then.free_chunks && stats.free == then.free,
           "the quick chunks did not merge before the heap would grow: %zu free chunks, then %zu",
           then.free_chunks, stats.free_chunks);
    EXPECT(tagalloc_check() == TAGALLOC_CHECK_OK, "check %d", tagalloc_check());
    tagalloc_set_heap_limit(SIZE_MAX);
    static unsigned char *many[QUICK_MAX + 8]; /* past QUICK_MAX waiting, a free merges */
    for (size_t i = 0; i < QUICK_MAX + 8; i++) many[i] = filled(tagalloc_malloc(24), 0x65);
    for (size_t i = 0; i < QUICK_MAX + 8; i++) free_checked(many[i], 0x65);
    EXPECT(the_heap.quick_count == QUICK_MAX, "%u chunks wait on the quick lists, not %u",
           (unsigned)the_heap.quick_count, QUICK_MAX);
    free_checked(first, 0x60);
    free_checked(guard, 0x64); /* past QUICK_MAX: merged, and the quick chunks stay */
    tagalloc_get_stats(&stats);
    EXPECT(stats.in_use == 0 && stats.free_chunks > QUICK_MAX, "in_use %zu, %zu free chunks",
           stats.in_use, stats.free_chunks);
    free_checked(filled(tagalloc_malloc(stats.heap_size), 0x66), 0x66); /* grows the heap: the
                                                                         * lists merge first */
    unsigned char *alone = filled(tagalloc_malloc(60), 0x67); /* nothing else in use */
    free_checked(alone, 0x67); /* waits all the same: a malloc and free in a loop reuse it whole */
    EXPECT(the_heap.quick_count == 1 && tagalloc_malloc(60) == alone,
           "the last block in use did not wait on its quick list");
    free_checked(filled(alone, 0x67), 0x67);
    free_checked(filled(tagalloc_malloc(stats.heap_size), 0x66), 0x66); /* merges it */
    unsigned char *larger = filled(tagalloc_malloc(QUICK_BYTES - TAG_BYTES), 0x68);
    free_checked(larger, 0x68); /* only chunks below QUICK_BYTES wait: this one merges */
    EXPECT(the_heap.quick_count == 0, "a chunk of QUICK_BYTES bytes waits on a quick list");
    expect_empty(3);
}

/* ---- Overflows into the next chunk's head ------------------------------------------------ */

/* [u][v][w][guard], in address order under first fit: u overflows `len` bytes of `byte` past
 * its usable size into v's head (v is free when asked). Freeing (or reallocating, or sizing) u
 * must be refused as CORRUPTED_CHUNK, and v with `v_code`, the heap bytes unchanged; once the
 * head is restored all is well again. */
static void overflow_with(unsigned char byte, size_t len, bool v_free, bool v_is_end, int v_code) {
    tagalloc_reset();
    tagalloc_set_policy(TAGALLOC_FIT_FIRST);
    unsigned char *u = filled(tagalloc_malloc(60), 0x61);
    unsigned char *v = v_is_end ? 0 : filled(tagalloc_malloc(28), 0x62);
    unsigned char *w = v_is_end ? 0 : filled(tagalloc_malloc(92), 0x63);
    unsigned char *guard = v_is_end ? 0 : filled(tagalloc_malloc(28), 0x64);
    if (v_free) free_checked(v, 0x62);
    take(&before, true); /* the range later snapshots copy */
    unsigned char *head = u + tagalloc_usable_size(u), saved[4];
    memcpy(saved, head, sizeof saved);
    memset(head, byte, len); /* the overflow: u's usable bytes, then len bytes of v's head */
    if (!v_is_end) expect_refused(v, v_code, false);
    expect_refused(u, TAGALLOC_ERR_CORRUPTED_CHUNK, false);
    memcpy(head, saved, sizeof saved);
    EXPECT(tagalloc_check() == TAGALLOC_CHECK_OK, "check %d once the head is restored",
           tagalloc_check());
    free_checked(u, 0x61);
    if (v && !v_free) free_checked(v, 0x62);
    if (w) free_checked(w, 0x63);
    if (guard) free_checked(guard, 0x64);
}

static void off_by_one_nul(void) {
    overflow_with(0x00, 1, false, false, TAGALLOC_ERR_CORRUPTED_CHUNK);
    expect_empty(6);
    overflow_with(0x00, 1, false, true, TAGALLOC_ERR_CORRUPTED_CHUNK);
    expect_empty(3);
}

static void word_overflow(void) {
    static const unsigned char bytes[] = {0x00, 0x01, 0x02, 0x03, 0x10, 0x33, 0x41, 0x62, 0xff};
    for (size_t i = 0; i < sizeof bytes; i++) {
        overflow_with(bytes[i], 4, false, false, TAGALLOC_ERR_CORRUPTED_CHUNK);
        expect_empty(6);
    }
}

static void overflow_into_free_head(void) {
    static const unsigned char bytes[] = {0x00, 0x01, 0x33, 0xff};
    for (size_t i = 0; i < sizeof bytes; i++) {
        overflow_with(bytes[i], 4, true, false, TAGALLOC_ERR_CORRUPTED_CHUNK);
        expect_empty(6);
    }
}

static void overflow_into_end_tag(void) {
    static const unsigned char bytes[] = {0x00, 0x01, 0x03, 0x13, 0x33, 0x61, 0xff};
    for (size_t i = 0; i < sizeof bytes; i++) {
        overflow_with(bytes[i], 4, false, true, TAGALLOC_ERR_CORRUPTED_CHUNK);
        expect_empty(3);
    }
}

/* One byte that clears the used bit of the next head but keeps its PREV_USED bit (0x22: '"',
 * 0x62: 'b', 0x72: 'r'): the head then reads as a free chunk that fits (so freeing v reads as a
 * double free), and freeing u would merge with it: its foot must agree. */
static void byte_reads_as_free(void) {
    static const unsigned char bytes[] = {0x22, 0x62, 0x72};
    for (size_t i = 0; i < sizeof bytes; i++) {
        overflow_with(bytes[i], 1, false, false, TAGALLOC_ERR_DOUBLE_FREE);
        expect_empty(6);
    }
}

/* One byte that keeps the next head's size and used bit but clears its PREV_USED bit (0x21 over
 * a 32-byte chunk): only the check of the free predecessor it now claims can catch it. */
static void byte_clears_prev_used(void) {
    overflow_with(0x21, 1, false, false, TAGALLOC_ERR_CORRUPTED_CHUNK);
    expect_empty(6);
}

/* As above, with a plausible foot written before it (u's own size): the predecessor's head,
 * which reads used, must still disagree. */
static void fake_free_predecessor(void) {
    tagalloc_set_policy(TAGALLOC_FIT_FIRST); /* u, v, w in address order */
    unsigned char *u = filled(tagalloc_malloc(60), 0x61), *v = filled(tagalloc_malloc(28), 0x62);
    unsigned char *w = filled(tagalloc_malloc(28), 0x63);
    take(&before, true);
    unsigned char *head = u + tagalloc_usable_size(u), saved[8];
    uint32_t foot = (uint32_t)tagalloc_usable_size(u) + TAG_BYTES; /* what a free u would say */
    memcpy(saved, head - TAG_BYTES, sizeof saved);
    memcpy(head - TAG_BYTES, &foot, sizeof foot);
    head[0] = (unsigned char)((tagalloc_usable_size(v) + TAG_BYTES) | TAG_USED);
    expect_refused(v, TAGALLOC_ERR_CORRUPTED_CHUNK, false);
    expect_refused(u, TAGALLOC_ERR_CORRUPTED_CHUNK, false);
    memcpy(head - TAG_BYTES, saved, sizeof saved);
    free_checked(u, 0x61);
    free_checked(v, 0x62);
    free_checked(w, 0x63);
    expect_empty(6);
}

/* The debug build's walk from the heap's start stops at a broken head before the pointer: a
 * zeroed head (size 0) or a huge one ends it short, and the call is refused, not stuck. */
static void debug_walk_stops(void) {
    static const unsigned char bytes[] = {0x00, 0xff};
    for (size_t i = 0; i < sizeof bytes; i++) {
        tagalloc_reset();
        tagalloc_set_policy(TAGALLOC_FIT_FIRST); /* u, v, w in address order */
        unsigned char *u = filled(tagalloc_malloc(60), 0x61);
        unsigned char *v = filled(tagalloc_malloc(28), 0x62);
        unsigned char *w = filled(tagalloc_malloc(28), 0x63);
        take(&before, true);
        unsigned char *head = u + tagalloc_usable_size(u), saved[4];
        memcpy(saved, head, sizeof saved);
        memset(head, bytes[i], sizeof saved);
        expect_refused(w, TAGALLOC_ERR_CORRUPTED_CHUNK, false);
        memcpy(head, saved, sizeof saved);
        free_checked(u, 0x61);
        free_checked(v, 0x62);
        free_checked(w, 0x63);
        expect_empty(3);
    }
}

/* ---- Sizes --------------------------------------------------------------------------------- */

/* Runs an allocation that must fail with `code`: NULL, last_error set, the handler not called,
 * bad_frees not counted, and the heap unchanged byte for byte. */
#define EXPECT_NULL(call, code)                                                                    \
    do {                                                                                           \
        take(&before, true);                                                                       \
        seen.calls = 0;                                                                            \
        void *result_ = (call);                                                                    \
        take(&after, true);                                                                        \
        EXPECT(result_ == 0, "%s returned %p", #call, result_);                                    \
        EXPECT(tagalloc_last_error() == (code), "%s: last_error %s", #call,                       \
               CODES[tagalloc_last_error()]);                                                      \
        EXPECT(seen.calls == 0, "%s called the error handler", #call);                            \
        EXPECT(unchanged(&before, &after, 0), "%s changed the heap", #call);                      \
    } while (0)

static void impossible_sizes(void) {
    unsigned char *a = filled(tagalloc_malloc(100), 0x71);
    const size_t near_4g[] = {SIZE_MAX, SIZE_MAX - 15, (size_t)UINT32_MAX + 1, UINT32_MAX,
                              UINT32_MAX - 3, UINT32_MAX - 15, UINT32_MAX - 16, UINT32_MAX - 4095,
                              UINT32_MAX - 65535, CHUNK_SIZE_MAX, REQUEST_MAX + 1, REQUEST_MAX,
                              ((size_t)1 << 32) + 16, ((size_t)1 << 33) + 8, ARENA};
    for (size_t i = 0; i < sizeof near_4g / sizeof near_4g[0]; i++) {
        size_t n = near_4g[i];
        EXPECT_NULL(tagalloc_malloc(n), TAGALLOC_ERR_OUT_OF_MEMORY);
        EXPECT_NULL(tagalloc_calloc(1, n), TAGALLOC_ERR_OUT_OF_MEMORY);
        EXPECT_NULL(tagalloc_calloc(n, 1), TAGALLOC_ERR_OUT_OF_MEMORY);
        EXPECT_NULL(tagalloc_aligned_alloc(64, n), TAGALLOC_ERR_OUT_OF_MEMORY);
        EXPECT_NULL(tagalloc_realloc(a, n), TAGALLOC_ERR_OUT_OF_MEMORY);
        EXPECT(intact(a, tagalloc_usable_size(a), 0x71), "realloc(a, %zu) touched a", n);
    }
    /* products that overflow size_t, and ones that only overflow 32 bits */
    EXPECT_NULL(tagalloc_calloc(SIZE_MAX, 2), TAGALLOC_ERR_OUT_OF_MEMORY);
    EXPECT_NULL(tagalloc_calloc(SIZE_MAX / 2 + 1, 2), TAGALLOC_ERR_OUT_OF_MEMORY);
    EXPECT_NULL(tagalloc_calloc((size_t)1 << 32, (size_t)1 << 32), TAGALLOC_ERR_OUT_OF_MEMORY);
    EXPECT_NULL(tagalloc_calloc(65536, 65537), TAGALLOC_ERR_OUT_OF_MEMORY);
    EXPECT_NULL(tagalloc_calloc(65537, 65536), TAGALLOC_ERR_OUT_OF_MEMORY);
    EXPECT_NULL(tagalloc_calloc(0x10000001, 16), TAGALLOC_ERR_OUT_OF_MEMORY);
    /* alignments: zero, not a power of two, above TAGALLOC_ALIGN_MAX */
    const size_t bad_alignments[] = {0, 3, 24, 48, 1000, TAGALLOC_ALIGN_MAX + 1,
                                     TAGALLOC_ALIGN_MAX * 2, (size_t)1 << 31, SIZE_MAX};
    for (size_t i = 0; i < sizeof bad_alignments / sizeof bad_alignments[0]; i++) {
        EXPECT_NULL(tagalloc_aligned_alloc(bad_alignments[i], 16), TAGALLOC_ERR_BAD_ALIGNMENT);
        EXPECT_NULL(tagalloc_aligned_alloc(bad_alignments[i], SIZE_MAX),
                    TAGALLOC_ERR_BAD_ALIGNMENT);
    }
    /* a failed realloc leaves the block where it was, whole and still freeable */
    EXPECT(tagalloc_usable_size(a) >= 100, "a shrank");
    free_checked(a, 0x71);
    expect_empty(0);
}

/* A realloc that cannot grow in place nor move fails and leaves the block as it was. */
static void realloc_that_cannot_fit(void) {
    tagalloc_set_heap_limit(64 << 10); /* bytes */
    unsigned char *a = filled(tagalloc_malloc(20000), 0x72);
    unsigned char *b = filled(tagalloc_malloc(20000), 0x73);
    EXPECT_NULL(tagalloc_realloc(a, 40000), TAGALLOC_ERR_OUT_OF_MEMORY); /* b sits after a */
    EXPECT_NULL(tagalloc_realloc(b, 70000), TAGALLOC_ERR_OUT_OF_MEMORY); /* b is last: the cap */
    EXPECT(intact(a, tagalloc_usable_size(a), 0x72) && intact(b, tagalloc_usable_size(b), 0x73),
           "a failed realloc touched a block");
    free_checked(a, 0x72);
    free_checked(b, 0x73);
    expect_empty(0);
}

/* ---- Out of memory ------------------------------------------------------------------------- */

#define SLOTS 8192
static unsigned char *slot[SLOTS];
static unsigned char slot_fill[SLOTS];

static uint64_t rng_state;
static uint32_t rng(void) { /* xorshift64*, fixed seed: the case is the same every run */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

/* Allocates until the heap cannot serve a request (in a `limit`-byte heap, or the arena), with
 * check after every call and every fill intact; then frees in a shuffled order, checking as it
 * goes, and ends with one free chunk. */
static void fill_then_free(int policy, int mode, size_t limit) {
    tagalloc_reset();
    tagalloc_set_policy(policy);
    tagalloc_set_coalescing(mode);
    tagalloc_set_heap_limit(limit);
    rng_state = 0x9E3779B97F4A7C15ull * (uint64_t)(policy * 2 + mode + 1);
    size_t live = 0, failed = 0;
    while (failed < 64 && live < SLOTS) { /* 64 failures in a row: every size class hit the cap */
        uint32_t r = rng() % 100;
        size_t request = r < 70 ? rng() % 128 : r < 95 ? rng() % 4096 : rng() % 65536;
        unsigned char *p = r % 7 == 0 ? tagalloc_aligned_alloc((size_t)64 << (r % 4), request)
                                      : tagalloc_malloc(request);
        EXPECT(tagalloc_check() == TAGALLOC_CHECK_OK, "check %d after an allocation",
               tagalloc_check());
        if (!p) {
            EXPECT(tagalloc_last_error() == TAGALLOC_ERR_OUT_OF_MEMORY, "NULL with error %s",
                   CODES[tagalloc_last_error()]);
            failed++;
            continue;
        }
        failed = 0;
        slot_fill[live] = (unsigned char)(rng() | 1);
        slot[live] = filled(p, slot_fill[live]);
        live++;
    }
    tagalloc_stats stats;
    tagalloc_get_stats(&stats);
    EXPECT(failed == 64, "the heap never filled up (%zu blocks)", live);
    EXPECT(stats.heap_size <= limit, "heap %zu bytes passed the %zu-byte cap", stats.heap_size,
           limit);
    EXPECT(stats.heap_size + 65536 + 2 * CHUNK_MIN >= (limit < ARENA ? limit : ARENA - 16),
           "heap %zu bytes stopped well short of the cap", stats.heap_size);
    for (size_t i = live; i > 1; i--) { /* shuffle: frees merge on both sides, in any order */
        size_t j = rng() % i;
        unsigned char *p = slot[i - 1], f = slot_fill[i - 1];
        slot[i - 1] = slot[j], slot_fill[i - 1] = slot_fill[j];
        slot[j] = p, slot_fill[j] = f;
    }
    for (size_t i = 0; i < live; i++) free_checked(slot[i], slot_fill[i]);
    tagalloc_set_coalescing(TAGALLOC_COALESCE_IMMEDIATE);
    tagalloc_get_stats(&stats);
    EXPECT(stats.free_chunks == 1 && stats.in_use == 0 && stats.free + TAG_BYTES == stats.heap_size,
           "after freeing everything: %zu free chunks, %zu bytes in use", stats.free_chunks,
           stats.in_use);
    expect_empty(0);
    tagalloc_set_heap_limit(SIZE_MAX);
}

static void out_of_memory_arena(void) {
    for (int policy = TAGALLOC_FIT_FIRST; policy <= TAGALLOC_FIT_SEGREGATED; policy++)
        for (int mode = TAGALLOC_COALESCE_IMMEDIATE; mode <= TAGALLOC_COALESCE_DEFERRED; mode++)
            fill_then_free(policy, mode, SIZE_MAX);
}

static void out_of_memory_limit(void) {
    for (int policy = TAGALLOC_FIT_FIRST; policy <= TAGALLOC_FIT_SEGREGATED; policy++)
        for (int mode = TAGALLOC_COALESCE_IMMEDIATE; mode <= TAGALLOC_COALESCE_DEFERRED; mode++)
            fill_then_free(policy, mode, 200 << 10);
    /* raising the cap again lets the same heap grow past where it stopped */
    unsigned char *big = tagalloc_malloc(400 << 10);
    EXPECT(big != 0, "the heap did not grow once the cap was lifted");
    if (big) free_checked(filled(big, 0x75), 0x75);
}

/* A small request near the cap: the segregated policy grows the heap by GROW_SMALL bytes for a
 * small chunk when it can, and by what the chunk needs when only that fits. */
static void small_request_near_the_limit(void) {
    for (int policy = TAGALLOC_FIT_FIRST; policy <= TAGALLOC_FIT_SEGREGATED; policy++) {
        tagalloc_reset();
        tagalloc_set_policy(policy);
        unsigned char *big = filled(tagalloc_malloc(4000), 0x75);
        tagalloc_stats stats;
        tagalloc_get_stats(&stats);
        size_t cap = stats.heap_start + stats.heap_size - grow_base() + 2 * CHUNK_MIN;
        tagalloc_set_heap_limit(cap); /* room for one 2 * CHUNK_MIN chunk, counted from the base */
        unsigned char *small = filled(tagalloc_malloc(2 * CHUNK_MIN - TAG_BYTES), 0x76);
        EXPECT(small != 0, "policy %d: no %u-byte chunk in the %u bytes under the cap", policy,
               2 * CHUNK_MIN, 2 * CHUNK_MIN);
        tagalloc_get_stats(&stats);
        EXPECT(stats.heap_start + stats.heap_size - grow_base() <= cap, "policy %d: past the cap",
               policy);
        EXPECT_NULL(tagalloc_malloc(1), TAGALLOC_ERR_OUT_OF_MEMORY); /* and now it is full */
        free_checked(big, 0x75);
        if (small) free_checked(small, 0x76);
        expect_empty(0);
        tagalloc_set_heap_limit(SIZE_MAX);
    }
}

/* ---- The drop-ins' default handler ----------------------------------------------------------- */

/* The process must die on the second free (the node test expects SIGILL or SIGTRAP), after
 * printing that the first one went through. */
static void default_handler_traps(void) {
    unsigned char *a = filled(tagalloc_malloc(24), 0x76);
    EXPECT(tagalloc_malloc(24) != 0, "no second block"); /* in use: a waits on its quick list */
    tagalloc_free(a);
    printf("# freed once\n");
    tagalloc_free(a);
    EXPECT(false, "the double free returned");
}

/* ---- Cases ----------------------------------------------------------------------------------- */

enum { RELEASE = 1, DEBUG = 2, TRAP = 4 };
#if TAGALLOC_TRAP_ON_MISUSE
#define BUILD TRAP
#elif TAGALLOC_DEBUG >= 2
#define BUILD DEBUG
#else
#define BUILD RELEASE
#endif

static const struct {
    const char *name;
    void (*run)(void);
    int builds;
} CASES[] = {
    {"pointers outside the heap are refused as INVALID_POINTER and change nothing",
     outside_the_heap, RELEASE | DEBUG},
    {"misaligned pointers are refused as INVALID_POINTER and change nothing", misaligned,
     RELEASE | DEBUG},
    {"pointers into a payload are refused as CORRUPTED_CHUNK and change nothing", into_a_payload,
     RELEASE | DEBUG},
    {"the debug build refuses a pointer into a payload that imitates a used chunk",
     imitation_in_debug, DEBUG},
    {"a pointer at a free chunk the heap never returned is refused as DOUBLE_FREE",
     at_a_free_chunk, RELEASE | DEBUG},
    {"a double free is refused as DOUBLE_FREE under every policy and coalescing, merged or not",
     double_free, RELEASE | DEBUG},
    {"a block on a quick list is refused as DOUBLE_FREE, reused whole, and merged before the "
     "heap would grow", quick_lists, RELEASE | DEBUG},
    {"an off-by-one NUL byte over the next head is caught freeing either chunk", off_by_one_nul,
     RELEASE | DEBUG},
    {"a word of any byte over the next head is caught freeing either chunk", word_overflow,
     RELEASE | DEBUG},
    {"an overflow over a free chunk's head is caught freeing either chunk",
     overflow_into_free_head, RELEASE | DEBUG},
    {"an overflow over the end tag is caught freeing the last chunk", overflow_into_end_tag,
     RELEASE | DEBUG},
    {"one byte that makes the next head read as free is caught freeing the overflowing chunk",
     byte_reads_as_free, RELEASE | DEBUG},
    {"one byte that clears only the next head's PREV_USED bit is caught freeing either chunk",
     byte_clears_prev_used, RELEASE | DEBUG},
    {"an overflow that fakes a free predecessor is caught by the predecessor's head",
     fake_free_predecessor, RELEASE | DEBUG},
    {"the debug build refuses a pointer behind a broken head instead of walking on",
     debug_walk_stops, DEBUG},
    {"impossible sizes and alignments come back NULL and change nothing", impossible_sizes,
     RELEASE | DEBUG},
    {"a realloc that cannot fit leaves the block untouched", realloc_that_cannot_fit,
     RELEASE | DEBUG},
    {"the arena fills until allocation fails and empties back to one free chunk",
     out_of_memory_arena, RELEASE | DEBUG},
    {"a heap limit stops growth where it says and can be lifted again", out_of_memory_limit,
     RELEASE | DEBUG},
    {"a small request near the limit grows the heap by what fits, not the usual step",
     small_request_near_the_limit, RELEASE | DEBUG},
    {"the drop-in build's default handler traps on a double free", default_handler_traps, TRAP},
};
#define CASE_COUNT (sizeof CASES / sizeof CASES[0])

static int run(size_t i) {
    tagalloc_reset();
    tagalloc_set_policy(TAGALLOC_FIT_SEGREGATED);
    tagalloc_set_coalescing(TAGALLOC_COALESCE_IMMEDIATE);
    tagalloc_set_heap_limit(SIZE_MAX);
    if (BUILD != TRAP) tagalloc_set_error_handler(on_error);
    failures = 0;
    CASES[i].run();
    printf("%s %zu - %s\n", failures ? "not ok" : "ok", i + 1, CASES[i].name);
    return failures != 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, 0, _IONBF, 0);
    if (argc == 2 && !strcmp(argv[1], "--list")) {
        for (size_t i = 0; i < CASE_COUNT; i++)
            if (CASES[i].builds & BUILD) printf("%zu %s\n", i + 1, CASES[i].name);
        return 0;
    }
    if (argc == 2) {
        size_t i = strtoul(argv[1], 0, 10);
        if (i < 1 || i > CASE_COUNT || !(CASES[i - 1].builds & BUILD)) return 2;
        return run(i - 1);
    }
    int failed = 0;
    for (size_t i = 0; i < CASE_COUNT; i++)
        if (CASES[i].builds & BUILD) failed |= run(i);
    return failed;
}
