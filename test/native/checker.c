/* The checker can fail. A small segregated heap holds every kind of chunk heap.h's invariants
 * speak of: used chunks, a free chunk on its bin, the victim and the top. Each case breaks one
 * thing in it and expects tagalloc_check() to name the invariant (I1..I7) that says so; then the
 * heap's bytes and the heap struct are put back and the check must pass again.
 *   checker      prints "ok N - case" or "not ok N - case"; exits 1 on a failure
 * Built (build.sh build_native_tests) under ASan and UBSan over a 1 MiB arena. */
#include <stdio.h>
#include <string.h>

#include "../../src/heap.h" /* the layout: chunks, links, bins, the victim */

static heap saved_heap;
static unsigned char saved_bytes[1u << 16];
static int failures, cases;

static size_t heap_bytes(void) { return (size_t)(the_heap.end + TAG_BYTES - the_heap.start); }

static void save(void) {
    saved_heap = the_heap;
    memcpy(saved_bytes, the_heap.start, heap_bytes());
}

static void expect(int invariant, const char *what) {
    int reported = tagalloc_check();
    the_heap = saved_heap;
    memcpy(the_heap.start, saved_bytes, heap_bytes());
    int after = tagalloc_check();
    bool ok = reported == invariant && after == TAGALLOC_CHECK_OK;
    printf("%s %d - %s", ok ? "ok" : "not ok", ++cases, what);
    if (!ok) printf(" (reported I%d, expected I%d; I%d once restored)", reported, invariant, after);
    printf("\n");
    failures += !ok;
}

static chunk *chunk_of(void *payload) { return chunk_from_payload(payload); }

/* The link of a bin's sentinel: what an empty list's links and a one-chunk list's chunk hold. */
static link sentinel(uint32_t bin) { return bin_link(&the_heap, bin); }

int main(void) {
    /* [victim][small][b][bin chunk][d][top]: freeing a puts it on a bin, the 100-byte request
     * is cut from its high end and leaves the rest as the victim; c goes on a bin; e, freed
     * last, is the top. */
    unsigned char *a = tagalloc_malloc(1000), *b = tagalloc_malloc(1000);
    unsigned char *c = tagalloc_malloc(1000), *d = tagalloc_malloc(1000);
    unsigned char *e = tagalloc_malloc(1000);
    tagalloc_free(a);
    unsigned char *small = tagalloc_malloc(100);
    tagalloc_free(c);
    tagalloc_free(e);
    chunk *victim = chunk_of(a), *listed = chunk_of(c), *top = chunk_of(e);
    uint32_t listed_bin = bin_of(chunk_size(listed));
    if (tagalloc_check() != TAGALLOC_CHECK_OK || the_heap.victim != chunk_link(victim) ||
        the_heap.bins[listed_bin][0] != chunk_link(listed) || chunk_is_used(top) ||
        !chunk_is_end(chunk_next(top)) || chunk_from_payload(small) <= victim) {
        printf("not ok 0 - the heap does not have the shape the cases break\n");
        return 1;
    }

    save();
    *chunk_foot(listed) += ALIGN;
    expect(TAGALLOC_CHECK_I1, "a free chunk's foot that disagrees with its head is I1");

    save();
    *chunk_head(chunk_of(b)) &= TAG_FLAGS;
    expect(TAGALLOC_CHECK_I1, "a head whose size is below CHUNK_MIN is I1");

    save();
    *chunk_head(chunk_of(d)) += 1u << 24;
    expect(TAGALLOC_CHECK_I2, "a size that runs past the heap's end is I2");

    save();
    *chunk_head(the_heap.end) &= ~TAG_USED;
    expect(TAGALLOC_CHECK_I2, "an end tag that does not read used is I2");

    save();
    chunk *between = chunk_of(d); /* [listed][d][top]: d turned free touches both */
    *chunk_head(between) &= ~TAG_USED;
    *chunk_foot(between) = chunk_size(between);
    expect(TAGALLOC_CHECK_I3, "two free chunks touching under immediate coalescing is I3");

    save();
    chunk_links(listed)[1] = chunk_link(victim);
    expect(TAGALLOC_CHECK_I4, "a list link that does not agree both ways is I4");

    save();
    the_heap.bitmap[listed_bin / 32] &= ~(1u << (listed_bin % 32));
    expect(TAGALLOC_CHECK_I4, "a non-empty bin whose bitmap bit is clear is I4");

    save();
    the_heap.bins[listed_bin][0] = the_heap.bins[listed_bin][1] = sentinel(listed_bin);
    the_heap.bitmap[listed_bin / 32] &= ~(1u << (listed_bin % 32));
    the_heap.summary = 0;
    expect(TAGALLOC_CHECK_I4, "a free chunk on no list is I4");

    save();
    the_heap.victim = chunk_link(chunk_of(b));
    expect(TAGALLOC_CHECK_I4, "a victim that is a used chunk is I4");

    save();
    the_heap.victim = chunk_link(listed);
    expect(TAGALLOC_CHECK_I4, "a victim that is also on a bin is I4");

    save();
    the_heap.victim = chunk_link(top);
    expect(TAGALLOC_CHECK_I4, "a victim that is the top is I4");

    save();
    the_heap.victim = chunk_link(victim) + ALIGN;
    expect(TAGALLOC_CHECK_I4, "a victim that is not where a chunk starts is I4");

    save();
    chunk *fake = top + 4 * ALIGN; /* in the top's payload, where a chunk could start */
    uint32_t far_bin = bin_of(1u << 24);
    *chunk_head(fake) = 1u << 24; /* its class's size, far past the heap's (and arena's) end */
    chunk_links(fake)[0] = chunk_links(fake)[1] = sentinel(far_bin);
    the_heap.bins[far_bin][0] = the_heap.bins[far_bin][1] = chunk_link(fake);
    the_heap.bitmap[far_bin / 32] |= 1u << (far_bin % 32);
    the_heap.summary |= 1u << (far_bin / 32);
    expect(TAGALLOC_CHECK_I4, "a list node whose size runs past the heap's end is I4, and the "
                              "checker reads nothing beyond it");

    save();
    *chunk_head(chunk_of(d)) ^= TAG_PREV_USED;
    expect(TAGALLOC_CHECK_I5, "a PREV_USED bit that disagrees with the chunk before is I5");

    save();
    the_heap.in_use += ALIGN;
    expect(TAGALLOC_CHECK_I6, "an in_use count off by a chunk's worth is I6");

    save();
    the_heap.rover = chunk_link(chunk_of(b)) + ALIGN;
    expect(TAGALLOC_CHECK_I6, "a rover that is not a chunk is I6");

    save();
    the_heap.top = listed;
    expect(TAGALLOC_CHECK_I6, "a top that is not the last chunk is I6");

    save();
    the_heap.top = 0;
    expect(TAGALLOC_CHECK_I6, "no top while the last chunk is free is I6");

#if TAGALLOC_QUICK
    chunk *held = chunk_of(small); /* 112 bytes: a quick list's size */
    uint32_t held_bin = chunk_size(held) / ALIGN;
    save();
    *chunk_head(held) |= TAG_QUICK;
    expect(TAGALLOC_CHECK_I7, "a quick chunk on no quick list is I7");

    save();
    the_heap.quick[held_bin] = chunk_link(chunk_of(b)); /* b: used, without TAG_QUICK */
    chunk_links(chunk_of(b))[0] = 0;
    the_heap.quick_count = 1;
    expect(TAGALLOC_CHECK_I7, "a quick list that names a chunk without TAG_QUICK is I7");

    *chunk_head(held) |= TAG_QUICK; /* small freed onto its quick list: the heap is whole */
    chunk_links(held)[0] = 0;
    the_heap.quick[held_bin] = chunk_link(held);
    the_heap.quick_count = 1;
    the_heap.in_use -= chunk_size(held);
    if (tagalloc_check() != TAGALLOC_CHECK_OK) {
        printf("not ok %d - a chunk on its quick list passes the check (I%d)\n", ++cases,
               tagalloc_check());
        failures++;
    }
    save();
    the_heap.quick_count = 2;
    expect(TAGALLOC_CHECK_I7, "a quick_count off by one is I7");

    save();
    the_heap.quick[held_bin - 1] = the_heap.quick[held_bin];
    the_heap.quick[held_bin] = 0;
    expect(TAGALLOC_CHECK_I7, "a quick chunk on another size's list is I7");

    save();
    chunk_links(held)[0] = chunk_link(held);
    expect(TAGALLOC_CHECK_I7, "a quick list that loops is I7, and the checker stops");
#endif

    printf("%d cases, %d failed\n", cases, failures);
    return failures != 0;
}
