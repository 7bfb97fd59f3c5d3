/* Word frequencies over a generated text, in a hash table that grows: strings and nodes from
 * malloc, the table from calloc and realloc, every block freed at the end. Recorded by
 * test/record.test.js through bin/tagalloc.js.
 *   wordfreq [WORDS [STATUS]]   WORDS generated words (default 20000); exits with STATUS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct node {
    char *word;
    unsigned count;
    struct node *next;
} node;

static node **table;
static size_t buckets = 16, entries;
static unsigned long long seed = 42;

static unsigned next_random(void) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (unsigned)(seed >> 33);
}

static size_t hash(const char *s) {
    size_t h = 5381;
    while (*s) h = h * 33 + (unsigned char)*s++;
    return h;
}

static void grow(void) {
    size_t old = buckets;
    buckets *= 2;
    node **bigger = realloc(table, buckets * sizeof *table);
    if (!bigger) exit(1);
    table = bigger;
    memset(table + old, 0, old * sizeof *table);
    for (size_t b = 0; b < old; b++) { /* rehash: a node stays or moves to b + old */
        node **link = &table[b];
        while (*link) {
            node *n = *link;
            if (hash(n->word) % buckets != b) {
                *link = n->next;
                n->next = table[b + old];
                table[b + old] = n;
            } else {
                link = &n->next;
            }
        }
    }
}

static void count(const char *word) {
    size_t b = hash(word) % buckets;
    for (node *n = table[b]; n; n = n->next) {
        if (!strcmp(n->word, word)) {
            n->count++;
            return;
        }
    }
    node *n = malloc(sizeof *n);
    char *copy = malloc(strlen(word) + 1);
    if (!n || !copy) exit(1);
    strcpy(copy, word);
    *n = (node){copy, 1, table[b]};
    table[b] = n;
    if (++entries > buckets * 3 / 4) grow();
}

static int by_count(const void *a, const void *b) {
    const node *x = *(node *const *)a, *y = *(node *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->word, y->word);
}

int main(int argc, char **argv) {
    long words = argc > 1 ? atol(argv[1]) : 20000;
    int status = argc > 2 ? atoi(argv[2]) : 0;
    static const char syllables[][4] = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po"};
    table = calloc(buckets, sizeof *table);
    if (!table) return 1;
    char word[32];
    for (long i = 0; i < words; i++) {
        unsigned r = next_random(), length = 1 + r % 4 + (r >> 8) % 2 * (r >> 12) % 3;
        word[0] = 0;
        for (unsigned s = 0; s < length; s++) strcat(word, syllables[next_random() % 8]);
        count(word);
    }
    node **all = malloc(entries * sizeof *all);
    if (!all) return 1;
    size_t at = 0;
    for (size_t b = 0; b < buckets; b++)
        for (node *n = table[b]; n; n = n->next) all[at++] = n;
    qsort(all, entries, sizeof *all, by_count);
    printf("%zu distinct words in %ld\n", entries, words);
    for (size_t i = 0; i < 5 && i < entries; i++) printf("%s %u\n", all[i]->word, all[i]->count);
    fprintf(stderr, "wordfreq: %zu buckets\n", buckets);
    for (size_t i = 0; i < entries; i++) {
        free(all[i]->word);
        free(all[i]);
    }
    free(all);
    free(table);
    return status;
}
