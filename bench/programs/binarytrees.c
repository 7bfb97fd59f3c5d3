/* Binary trees, after the Computer Language Benchmarks Game: one tree of depth MAX_DEPTH + 1
 * built and freed, one of depth MAX_DEPTH kept alive throughout, and at each depth d from
 * MIN_DEPTH up, 2^(MAX_DEPTH - d + MIN_DEPTH) trees of depth d built, checked and freed.
 * Every node is the same small size and a tree is freed bottom-up, children before parents:
 * the opposite of the order it was allocated in. Exit status 1 when a tree has the wrong count. */
#include <stdio.h>
#include <stdlib.h>

#define MIN_DEPTH 4
#define MAX_DEPTH 16

typedef struct node {
    struct node *left, *right;
} node;

static node *tree_build(int depth) {
    node *n = malloc(sizeof *n);
    if (!n) {
        fprintf(stderr, "binarytrees: out of memory\n");
        exit(2);
    }
    n->left = depth > 0 ? tree_build(depth - 1) : NULL;
    n->right = depth > 0 ? tree_build(depth - 1) : NULL;
    return n;
}

static long tree_count(const node *n) {
    return n->left ? 1 + tree_count(n->left) + tree_count(n->right) : 1;
}

static void tree_free(node *n) {
    if (n->left) {
        tree_free(n->left);
        tree_free(n->right);
    }
    free(n);
}

static int check(const char *what, int depth, long count, long expected) {
    printf("%s of depth %d\t check: %ld\n", what, depth, count);
    if (count == expected) return 0;
    fprintf(stderr, "binarytrees: %s of depth %d counted %ld nodes, not %ld\n", what, depth, count,
            expected);
    return 1;
}

int main(void) {
    int failed = 0;
    node *stretch = tree_build(MAX_DEPTH + 1);
    long stretch_nodes = (2L << (MAX_DEPTH + 1)) - 1;
    failed |= check("stretch tree", MAX_DEPTH + 1, tree_count(stretch), stretch_nodes);
    tree_free(stretch);

    node *long_lived = tree_build(MAX_DEPTH);
    for (int depth = MIN_DEPTH; depth <= MAX_DEPTH; depth += 2) {
        long iterations = 1L << (MAX_DEPTH - depth + MIN_DEPTH), count = 0;
        for (long i = 0; i < iterations; i++) {
            node *t = tree_build(depth);
            count += tree_count(t);
            tree_free(t);
        }
        printf("%ld\t ", iterations);
        failed |= check("trees", depth, count, iterations * ((2L << depth) - 1));
    }
    failed |= check("long lived tree", MAX_DEPTH, tree_count(long_lived), (2L << MAX_DEPTH) - 1);
    tree_free(long_lived);
    return failed;
}
