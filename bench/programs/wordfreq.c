/* Word frequencies: generates a text from a fixed seed (words drawn from a Zipf-like vocabulary,
 * plus rare words made up on the spot), counts it one chapter at a time in a hash table of its
 * own (strdup'd keys, chained buckets, the bucket array doubled by realloc and rehashed), merges
 * each chapter's counts into the book's table and frees the chapter's, then sorts the book's
 * words by count and prints the most frequent. Everything is freed; the counts are checked
 * against the number of words generated. Exit status 1 when they disagree. */
#define _POSIX_C_SOURCE 200809L /* strdup, which C11 leaves out */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAPTERS 40
#define WORDS_PER_CHAPTER 40000
#define VOCABULARY 20000      /* common words; rare ones are made up as the text is written */
#define TOP 10

static uint64_t rng_state;

static uint32_t rng_next(void) { /* splitmix64, upper half: the same stream on every target */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static uint32_t rng_below(uint32_t n) { return rng_next() % n; }

static void *checked(void *p) {
    if (!p) {
        fprintf(stderr, "wordfreq: out of memory\n");
        exit(2);
    }
    return p;
}

/* ---- the text ---- */

static const char *const SYLLABLES[] = {
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "an", "el", "or", "us", "qua", "ster",
    "ing", "tion", "pre", "con", "ble",
};

/* Word `index` of the vocabulary, the same every time: its syllables come from the index. */
static size_t vocabulary_word(uint32_t index, char *out) {
    size_t n = 0;
    uint32_t x = index * 2654435761u + 12345u;
    int syllables = 1 + (int)(index % 4) + (index > 2000);
    for (int i = 0; i < syllables; i++) {
        const char *s = SYLLABLES[x % 20];
        x = x / 20 + index * (uint32_t)(i + 7);
        size_t k = strlen(s);
        memcpy(out + n, s, k);
        n += k;
    }
    out[n] = '\0';
    return n;
}

/* A chapter of WORDS_PER_CHAPTER words separated by spaces and punctuation, some capitalised
 * (counting folds case), in a buffer grown by realloc. */
static char *generate_chapter(void) {
    size_t length = 0, capacity = 1024;
    char *text = checked(malloc(capacity));
    char word[64];
    for (int w = 0; w < WORDS_PER_CHAPTER; w++) {
        size_t n;
        uint32_t r = rng_below(1000);
        if (r < 20) { /* a rare word: a name or a number spelled out, seen a few times at most */
            n = (size_t)snprintf(word, sizeof word, "x%c%c%u", 'a' + rng_below(26),
                                 'a' + rng_below(26), rng_below(50000));
        } else { /* Zipf-like: u^3 puts most of the mass on the first words */
            double u = (double)rng_next() / 4294967296.0;
            n = vocabulary_word((uint32_t)(u * u * u * VOCABULARY), word);
        }
        if (rng_below(16) == 0) word[0] = (char)(word[0] - 'a' + 'A');
        if (length + n + 3 > capacity) text = checked(realloc(text, capacity *= 2));
        memcpy(text + length, word, n);
        length += n;
        uint32_t p = rng_below(20);
        if (p == 0) text[length++] = ',';
        else if (p == 1) text[length++] = '.';
        text[length++] = p == 2 ? '\n' : ' ';
    }
    text[length] = '\0';
    return text;
}

/* ---- the hash table ---- */

typedef struct entry {
    char *word; /* strdup'd: the table owns it */
    uint32_t hash;
    long count;
    struct entry *next;
} entry;

typedef struct {
    entry **buckets; /* a power of two of them */
    size_t bucket_count, size;
} table;

static uint32_t hash_word(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void table_init(table *t) {
    t->bucket_count = 16;
    t->buckets = checked(calloc(t->bucket_count, sizeof(entry *)));
    t->size = 0;
}

/* Doubles the bucket array in place with realloc; each chain of bucket i splits between i and
 * i + old count, by the hash bit that the wider mask adds. */
static void table_grow(table *t) {
    size_t old = t->bucket_count;
    t->buckets = checked(realloc(t->buckets, 2 * old * sizeof(entry *)));
    t->bucket_count = 2 * old;
    for (size_t i = 0; i < old; i++) {
        entry *chain = t->buckets[i], *low = NULL, *high = NULL;
        while (chain) {
            entry *next = chain->next;
            entry **to = (chain->hash & old) ? &high : &low;
            chain->next = *to;
            *to = chain;
            chain = next;
        }
        t->buckets[i] = low;
        t->buckets[i + old] = high;
    }
}

static void table_add(table *t, const char *word, uint32_t hash, long count) {
    entry **bucket = &t->buckets[hash & (t->bucket_count - 1)];
    for (entry *e = *bucket; e; e = e->next) {
        if (e->hash == hash && strcmp(e->word, word) == 0) {
            e->count += count;
            return;
        }
    }
    entry *e = checked(malloc(sizeof *e));
    e->word = checked(strdup(word));
    e->hash = hash;
    e->count = count;
    e->next = *bucket;
    *bucket = e;
    if (++t->size > t->bucket_count) table_grow(t); /* chains stay one entry long on average */
}

static void table_free(table *t) {
    for (size_t i = 0; i < t->bucket_count; i++) {
        for (entry *e = t->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e->word);
            free(e);
        }
    }
    free(t->buckets);
}

/* Counts a chapter's words, folded to lower case, into t; returns how many there were. */
static long count_words(table *t, const char *text) {
    long words = 0;
    char word[64];
    while (*text) {
        size_t n = 0;
        while (*text && !((*text >= 'a' && *text <= 'z') || (*text >= 'A' && *text <= 'Z') ||
                          (*text >= '0' && *text <= '9')))
            text++;
        while ((*text >= 'a' && *text <= 'z') || (*text >= 'A' && *text <= 'Z') ||
               (*text >= '0' && *text <= '9')) {
            char c = *text++;
            if (n < sizeof word - 1) word[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        if (n == 0) continue;
        word[n] = '\0';
        table_add(t, word, hash_word(word), 1);
        words++;
    }
    return words;
}

static int by_count_then_word(const void *a, const void *b) {
    const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->word, y->word);
}

int main(void) {
    table book;
    table_init(&book);
    rng_state = 2024;
    long words = 0;
    for (int c = 0; c < CHAPTERS; c++) {
        char *text = generate_chapter();
        table chapter;
        table_init(&chapter);
        words += count_words(&chapter, text);
        free(text);
        for (size_t i = 0; i < chapter.bucket_count; i++)
            for (const entry *e = chapter.buckets[i]; e; e = e->next)
                table_add(&book, e->word, e->hash, e->count);
        table_free(&chapter);
    }

    entry **sorted = checked(malloc(book.size * sizeof(entry *)));
    size_t n = 0;
    long total = 0;
    for (size_t i = 0; i < book.bucket_count; i++) {
        for (entry *e = book.buckets[i]; e; e = e->next) {
            sorted[n++] = e;
            total += e->count;
        }
    }
    qsort(sorted, n, sizeof(entry *), by_count_then_word);
    if (words != (long)CHAPTERS * WORDS_PER_CHAPTER || total != words) {
        fprintf(stderr, "wordfreq: %ld words generated, %ld read, %ld counted\n",
                (long)CHAPTERS * WORDS_PER_CHAPTER, words, total);
        return 1;
    }
    uint32_t hash = 2166136261u; /* over every word and count in sorted order */
    for (size_t i = 0; i < n; i++) {
        hash = (hash_word(sorted[i]->word) ^ hash) * 16777619u;
        hash = (hash ^ (uint32_t)sorted[i]->count) * 16777619u;
    }
    printf("wordfreq: %ld words, %zu distinct, %zu buckets, fnv1a %08x; top:", words, n,
           book.bucket_count, (unsigned)hash);
    for (size_t i = 0; i < TOP && i < n; i++) printf(" %s %ld", sorted[i]->word, sorted[i]->count);
    printf("\n");
    free(sorted);
    table_free(&book);
    return 0;
}
