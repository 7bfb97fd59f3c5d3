/* Word counts of a text file, for the page's Programs view: the file read whole into one block
 * sized by fstat, each distinct word copied into its own block, a hash table that grows by
 * realloc, then the words sorted by count and every block freed.
 *   wordcount [FILE [TOP]]   FILE (default LICENSE); prints the TOP (default 10) commonest words */
#define _POSIX_C_SOURCE 200809L /* fileno, strdup */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct word {
    char *text;
    unsigned count;
    struct word *next;
} word;

static word **table;
static size_t buckets = 8, distinct;

static size_t hash(const char *s) {
    size_t h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static void grow(void) {
    size_t old = buckets;
    word **bigger = realloc(table, 2 * old * sizeof *table);
    if (!bigger) exit(1);
    table = bigger;
    buckets = 2 * old;
    memset(table + old, 0, old * sizeof *table);
    for (size_t b = 0; b < old; b++) { /* rehash: a word stays in b or moves to b + old */
        word **link = &table[b];
        while (*link) {
            word *w = *link;
            if (hash(w->text) % buckets != b) {
                *link = w->next;
                w->next = table[b + old];
                table[b + old] = w;
            } else {
                link = &w->next;
            }
        }
    }
}

static void count(const char *text) {
    size_t b = hash(text) % buckets;
    for (word *w = table[b]; w; w = w->next) {
        if (!strcmp(w->text, text)) {
            w->count++;
            return;
        }
    }
    word *w = malloc(sizeof *w);
    char *copy = strdup(text);
    if (!w || !copy) exit(1);
    *w = (word){copy, 1, table[b]};
    table[b] = w;
    if (++distinct > buckets) grow();
}

static int by_count(const void *a, const void *b) {
    const word *x = *(word *const *)a, *y = *(word *const *)b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->text, y->text);
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "LICENSE";
    int top = argc > 2 ? atoi(argv[2]) : 10;
    FILE *in = fopen(path, "r");
    struct stat st;
    if (!in || fstat(fileno(in), &st)) {
        perror(path);
        return 1;
    }
    char *text = malloc((size_t)st.st_size + 1);
    if (!text) return 1;
    size_t length = fread(text, 1, (size_t)st.st_size, in);
    text[length] = 0;
    fclose(in);
    printf("%s: %zu bytes\n", path, length);

    table = calloc(buckets, sizeof *table);
    if (!table) return 1;
    size_t words = 0;
    char token[64];
    size_t at = 0;
    for (size_t i = 0; i <= length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (isalpha(c) && at + 1 < sizeof token) {
            token[at++] = (char)tolower(c);
        } else if (at) {
            token[at] = 0;
            count(token);
            words++;
            at = 0;
        }
    }
    free(text);

    word **all = malloc(distinct * sizeof *all);
    if (!all) return 1;
    size_t n = 0;
    for (size_t b = 0; b < buckets; b++)
        for (word *w = table[b]; w; w = w->next) all[n++] = w;
    qsort(all, distinct, sizeof *all, by_count);
    printf("%zu words, %zu distinct, %zu buckets\n", words, distinct, buckets);
    for (int i = 0; i < top && (size_t)i < distinct; i++)
        printf("%6u  %s\n", all[i]->count, all[i]->text);
    for (size_t i = 0; i < distinct; i++) {
        free(all[i]->text);
        free(all[i]);
    }
    free(all);
    free(table);
    return 0;
}
