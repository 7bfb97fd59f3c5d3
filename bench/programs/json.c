/* JSON parse and serialise: generates a JSON document from a fixed seed, parses it into a tree
 * of malloc'd nodes (strings, arrays and objects grown by realloc, then trimmed to size), writes
 * the tree back into a buffer grown by realloc, checks that the text came back byte for byte,
 * and frees it all. Two documents are alive at a time, so frees of the older tree interleave
 * with the allocations of the newer one. Prints one summary line; exit status 1 on a mismatch.
 * Numbers are multiples of 1/8, which "%.17g" prints exactly and strtod reads back exactly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCUMENTS 6          /* parsed, written back and freed one after another */
#define RECORDS 6000         /* top-level records in each document */

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
        fprintf(stderr, "json: out of memory\n");
        exit(2);
    }
    return p;
}

/* A byte buffer that doubles through realloc: the generator's and the writer's output. */
typedef struct {
    char *bytes;
    size_t length, capacity;
} text;

static void text_reserve(text *t, size_t more) {
    if (t->length + more <= t->capacity) return;
    size_t capacity = t->capacity ? t->capacity : 64;
    while (capacity < t->length + more) capacity *= 2;
    t->bytes = checked(realloc(t->bytes, capacity));
    t->capacity = capacity;
}

static void text_put(text *t, const char *s, size_t n) {
    text_reserve(t, n);
    memcpy(t->bytes + t->length, s, n);
    t->length += n;
}

static void text_char(text *t, char c) { text_put(t, &c, 1); }

static void text_number(text *t, double value) {
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%.17g", value);
    text_put(t, digits, (size_t)n);
}

static void text_string(text *t, const char *s, size_t n) {
    text_char(t, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            text_char(t, '\\');
            text_char(t, (char)c);
        } else if (c == '\n') {
            text_put(t, "\\n", 2);
        } else if (c == '\t') {
            text_put(t, "\\t", 2);
        } else if (c < 0x20) {
            char escape[8];
            snprintf(escape, sizeof escape, "\\u%04x", c);
            text_put(t, escape, 6);
        } else {
            text_char(t, (char)c);
        }
    }
    text_char(t, '"');
}

/* ---- the generator: writes the document the way the writer below writes a tree ---- */

static const char *const KEYS[] = {
    "id", "name", "tags", "score", "owner", "children", "active", "notes", "history", "meta",
};

static void generate_string(text *t) {
    char s[96];
    size_t n = 1 + rng_below(rng_below(8) == 0 ? 90 : 16); /* mostly short, some long */
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rng_below(64);
        if (r < 52) s[i] = (char)((r < 26 ? 'a' : 'A' - 26) + r);
        else s[i] = r < 58 ? ' ' : "\"\\\n\t\x01/"[r - 58]; /* one of each escape */
    }
    text_string(t, s, n);
}

static void generate_value(text *t, int depth) {
    uint32_t kind = rng_below(depth > 3 ? 5 : 8);
    if (kind == 0) {
        text_number(t, ((double)(rng_next() & 0xffffff) - 0x800000) / 8.0);
    } else if (kind == 1 || kind == 2) {
        generate_string(t);
    } else if (kind == 3) {
        static const char *const words[] = {"true", "false", "null"};
        const char *w = words[rng_below(3)];
        text_put(t, w, strlen(w));
    } else if (kind == 4) {
        text_number(t, (double)rng_below(100000));
    } else if (kind == 5 || kind == 6) {
        uint32_t n = rng_below(kind == 5 ? 6 : 40);
        text_char(t, '[');
        for (uint32_t i = 0; i < n; i++) {
            if (i) text_char(t, ',');
            generate_value(t, depth + 1);
        }
        text_char(t, ']');
    } else {
        uint32_t n = rng_below(7);
        text_char(t, '{');
        for (uint32_t i = 0; i < n; i++) {
            if (i) text_char(t, ',');
            const char *k = KEYS[rng_below(10)];
            text_string(t, k, strlen(k));
            text_char(t, ':');
            generate_value(t, depth + 1);
        }
        text_char(t, '}');
    }
}

static text generate_document(uint64_t seed) {
    text t = {0};
    rng_state = seed;
    text_put(&t, "{\"records\":[", 12);
    for (int i = 0; i < RECORDS; i++) {
        if (i) text_char(&t, ',');
        text_put(&t, "{\"id\":", 6);
        text_number(&t, i);
        text_put(&t, ",\"value\":", 9);
        generate_value(&t, 1);
        text_char(&t, '}');
    }
    text_put(&t, "],\"count\":", 10);
    text_number(&t, RECORDS);
    text_char(&t, '}');
    text_char(&t, '\0');
    t.length--; /* the terminator stays outside the length */
    return t;
}

/* ---- the tree ---- */

typedef enum {
    NODE_NULL, NODE_FALSE, NODE_TRUE, NODE_NUMBER, NODE_STRING, NODE_ARRAY, NODE_OBJECT
} node_kind;

typedef struct node node;
typedef struct {
    char *key;
    size_t key_length;
    node *value;
} member;

struct node {
    node_kind kind;
    union {
        double number;
        struct { char *bytes; size_t length; } string;
        struct { node **items; size_t length, capacity; } array;
        struct { member *members; size_t length, capacity; } object;
    } as;
};

typedef struct {
    const char *at, *end;
    size_t nodes, strings;
    int failed;
} parser;

static void skip_space(parser *p) {
    while (p->at < p->end && (*p->at == ' ' || *p->at == '\n' || *p->at == '\t' || *p->at == '\r'))
        p->at++;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A string's bytes, unescaped into a buffer that grows by realloc and is trimmed to its length. */
static char *parse_string(parser *p, size_t *length) {
    if (p->at >= p->end || *p->at != '"') {
        p->failed = 1;
        return NULL;
    }
    p->at++;
    size_t n = 0, capacity = 8;
    char *s = checked(malloc(capacity));
    while (p->at < p->end && *p->at != '"') {
        char c = *p->at++;
        if (c == '\\' && p->at < p->end) {
            char e = *p->at++;
            if (e == 'n') c = '\n';
            else if (e == 't') c = '\t';
            else if (e == 'r') c = '\r';
            else if (e == 'b') c = '\b';
            else if (e == 'f') c = '\f';
            else if (e == 'u' && p->end - p->at >= 4) {
                int code = 0;
                for (int i = 0; i < 4; i++) code = code * 16 + hex_digit(*p->at++);
                if (code < 0 || code > 0x7f) p->failed = 1; /* the generator writes only ASCII */
                c = (char)code;
            } else c = e;
        }
        if (n + 1 >= capacity) s = checked(realloc(s, capacity *= 2));
        s[n++] = c;
    }
    if (p->at >= p->end) p->failed = 1;
    else p->at++;
    s = checked(realloc(s, n + 1));
    s[n] = '\0';
    *length = n;
    p->strings++;
    return s;
}

static node *parse_value(parser *p);

static node *node_new(parser *p, node_kind kind) {
    node *n = checked(calloc(1, sizeof *n));
    n->kind = kind;
    p->nodes++;
    return n;
}

static node *parse_array(parser *p) {
    node *n = node_new(p, NODE_ARRAY);
    p->at++;
    skip_space(p);
    if (p->at < p->end && *p->at == ']') {
        p->at++;
        return n;
    }
    for (;;) {
        node *item = parse_value(p);
        if (n->as.array.length == n->as.array.capacity) {
            n->as.array.capacity = n->as.array.capacity ? 2 * n->as.array.capacity : 4;
            n->as.array.items = checked(realloc(n->as.array.items,
                                                n->as.array.capacity * sizeof(node *)));
        }
        n->as.array.items[n->as.array.length++] = item;
        skip_space(p);
        if (p->failed || p->at >= p->end) break;
        if (*p->at++ != ',') break;
    }
    if (p->at[-1] != ']') p->failed = 1;
    return n;
}

static node *parse_object(parser *p) {
    node *n = node_new(p, NODE_OBJECT);
    p->at++;
    skip_space(p);
    if (p->at < p->end && *p->at == '}') {
        p->at++;
        return n;
    }
    for (;;) {
        member m;
        skip_space(p);
        m.key = parse_string(p, &m.key_length);
        skip_space(p);
        if (p->at >= p->end || *p->at++ != ':') p->failed = 1;
        m.value = p->failed ? NULL : parse_value(p);
        if (n->as.object.length == n->as.object.capacity) {
            n->as.object.capacity = n->as.object.capacity ? 2 * n->as.object.capacity : 2;
            n->as.object.members = checked(realloc(n->as.object.members,
                                                   n->as.object.capacity * sizeof(member)));
        }
        n->as.object.members[n->as.object.length++] = m;
        skip_space(p);
        if (p->failed || p->at >= p->end) break;
        if (*p->at++ != ',') break;
    }
    if (p->at[-1] != '}') p->failed = 1;
    return n;
}

static node *parse_value(parser *p) {
    skip_space(p);
    if (p->failed || p->at >= p->end) {
        p->failed = 1;
        return NULL;
    }
    char c = *p->at;
    if (c == '{') return parse_object(p);
    if (c == '[') return parse_array(p);
    if (c == '"') {
        node *n = node_new(p, NODE_STRING);
        n->as.string.bytes = parse_string(p, &n->as.string.length);
        return n;
    }
    static const struct { const char *word; node_kind kind; } words[] = {
        {"null", NODE_NULL}, {"false", NODE_FALSE}, {"true", NODE_TRUE},
    };
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(p->end - p->at) >= n && memcmp(p->at, words[i].word, n) == 0) {
            p->at += n;
            return node_new(p, words[i].kind);
        }
    }
    char *after;
    double number = strtod(p->at, &after);
    if (after == p->at) {
        p->failed = 1;
        return NULL;
    }
    p->at = after;
    node *n = node_new(p, NODE_NUMBER);
    n->as.number = number;
    return n;
}

static void write_value(text *t, const node *n) {
    switch (n->kind) {
    case NODE_NULL: text_put(t, "null", 4); break;
    case NODE_FALSE: text_put(t, "false", 5); break;
    case NODE_TRUE: text_put(t, "true", 4); break;
    case NODE_NUMBER: text_number(t, n->as.number); break;
    case NODE_STRING: text_string(t, n->as.string.bytes, n->as.string.length); break;
    case NODE_ARRAY:
        text_char(t, '[');
        for (size_t i = 0; i < n->as.array.length; i++) {
            if (i) text_char(t, ',');
            write_value(t, n->as.array.items[i]);
        }
        text_char(t, ']');
        break;
    case NODE_OBJECT:
        text_char(t, '{');
        for (size_t i = 0; i < n->as.object.length; i++) {
            const member *m = &n->as.object.members[i];
            if (i) text_char(t, ',');
            text_string(t, m->key, m->key_length);
            text_char(t, ':');
            write_value(t, m->value);
        }
        text_char(t, '}');
        break;
    }
}

static void node_free(node *n) {
    if (!n) return;
    if (n->kind == NODE_STRING) {
        free(n->as.string.bytes);
    } else if (n->kind == NODE_ARRAY) {
        for (size_t i = 0; i < n->as.array.length; i++) node_free(n->as.array.items[i]);
        free(n->as.array.items);
    } else if (n->kind == NODE_OBJECT) {
        for (size_t i = 0; i < n->as.object.length; i++) {
            free(n->as.object.members[i].key);
            node_free(n->as.object.members[i].value);
        }
        free(n->as.object.members);
    }
    free(n);
}

static uint32_t fnv1a(uint32_t hash, const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) hash = (hash ^ (unsigned char)s[i]) * 16777619u;
    return hash;
}

int main(void) {
    node *older = NULL;
    size_t bytes = 0, nodes = 0, strings = 0;
    uint32_t hash = 2166136261u;
    for (int d = 0; d < DOCUMENTS; d++) {
        text source = generate_document(1000 + (uint64_t)d);
        parser p = {source.bytes, source.bytes + source.length, 0, 0, 0};
        node *tree = parse_value(&p);
        skip_space(&p);
        if (p.failed || p.at != p.end) {
            fprintf(stderr, "json: document %d does not parse\n", d);
            return 1;
        }
        node_free(older); /* the previous tree goes only now, while this one is alive */
        older = tree;
        text written = {0};
        write_value(&written, tree);
        if (written.length != source.length || memcmp(written.bytes, source.bytes, source.length)) {
            fprintf(stderr, "json: document %d does not come back as it was\n", d);
            return 1;
        }
        hash = fnv1a(hash, written.bytes, written.length);
        bytes += written.length;
        nodes += p.nodes;
        strings += p.strings;
        free(written.bytes);
        free(source.bytes);
    }
    node_free(older);
    printf("json: %d documents, %zu bytes, %zu nodes, %zu strings, fnv1a %08x\n", DOCUMENTS, bytes,
           nodes, strings, (unsigned)hash);
    return 0;
}
