/* A JSON-ish tree: objects with a name, a number and children, built to a depth, written out to
 * a string that grows by realloc, then freed one subtree at a time while a second tree is built
 * beside the holes. Recorded by test/record.test.js through bin/tagalloc.js.
 *   tree [DEPTH [OUT]]   DEPTH levels (default 8); OUT: also write the text to this file */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct value {
    char *name;
    double number;
    size_t children;
    struct value **child;
} value;

typedef struct text {
    char *bytes;
    size_t length, room;
} text;

static value *build(int depth, unsigned *serial) {
    value *v = malloc(sizeof *v);
    if (!v) exit(1);
    char name[24];
    snprintf(name, sizeof name, "node-%u", (*serial)++);
    v->name = strdup(name);
    v->number = *serial * 0.5;
    v->children = depth > 0 ? 1 + *serial % 3 : 0;
    v->child = v->children ? calloc(v->children, sizeof *v->child) : NULL;
    for (size_t i = 0; i < v->children; i++) v->child[i] = build(depth - 1, serial);
    return v;
}

static void append(text *t, const char *s) {
    size_t n = strlen(s);
    if (t->length + n + 1 > t->room) {
        t->room = (t->length + n + 1) * 3 / 2;
        char *bigger = realloc(t->bytes, t->room);
        if (!bigger) exit(1);
        t->bytes = bigger;
    }
    memcpy(t->bytes + t->length, s, n + 1);
    t->length += n;
}

static void write_value(text *t, const value *v) {
    char number[32];
    append(t, "{\"name\":\"");
    append(t, v->name);
    snprintf(number, sizeof number, "\",\"n\":%g", v->number);
    append(t, number);
    if (v->children) {
        append(t, ",\"children\":[");
        for (size_t i = 0; i < v->children; i++) {
            if (i) append(t, ",");
            write_value(t, v->child[i]);
        }
        append(t, "]");
    }
    append(t, "}");
}

static void release(value *v) {
    for (size_t i = 0; i < v->children; i++) release(v->child[i]);
    free(v->child);
    free(v->name);
    free(v);
}

int main(int argc, char **argv) {
    int depth = argc > 1 ? atoi(argv[1]) : 8;
    unsigned serial = 0;
    value *first = build(depth, &serial);
    text t = {0};
    write_value(&t, first);
    unsigned long sum = 0;
    for (size_t i = 0; i < t.length; i++) sum = sum * 31 + (unsigned char)t.bytes[i];
    printf("%u nodes, %zu bytes of text, checksum %lu\n", serial, t.length, sum % 1000003);
    if (argc > 2) {
        FILE *out = fopen(argv[2], "w");
        if (!out || fputs(t.bytes, out) < 0 || fclose(out)) {
            perror(argv[2]);
            return 2;
        }
    }
    free(t.bytes);
    for (size_t i = 0; i < first->children; i += 2) { /* holes, then a second tree among them */
        release(first->child[i]);
        first->child[i] = NULL;
    }
    value *second = build(depth - 2, &serial);
    printf("%u nodes in all\n", serial);
    for (size_t i = 1; i < first->children; i += 2) release(first->child[i]);
    first->children = 0;
    release(first);
    release(second);
    return 0;
}
