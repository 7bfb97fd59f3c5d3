/* Every allocation call the recording library reports, once each, with the results and errno a
 * program sees checked as it goes; test/record.test.js compares the end of the trace with the
 * calls below. Prints "calls: ok" and exits 0 when every check held. */
#define _POSIX_C_SOURCE 200112L
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *memalign(size_t alignment, size_t request); /* the drop-ins define it; wasi-libc hides it */

static int failures;

static void expect(int ok, const char *what) {
    if (!ok) {
        printf("calls: %s failed\n", what);
        failures++;
    }
}

int main(void) {
    char *p = malloc(10);                                        /* a 0 10 */
    int *q = calloc(3, 8);                                       /* a 1 24 */
    expect(p && q && !q[0] && !q[5], "malloc, calloc");
    q = realloc(q, 100);                                         /* r 1 100 */
    char *r = realloc(NULL, 5);                                  /* a 2 5 */
    r = realloc(r, 0);                                           /* r 2 0 */
    void *a = aligned_alloc(64, 32);                             /* a 3 32 */
    void *b = NULL;
    int status = posix_memalign(&b, 128, 40);                    /* a 4 40 */
    void *c = memalign(32, 8);                                   /* a 5 8 */
    expect(q && r && a && b && c && !status, "realloc, aligned");
    expect((uintptr_t)a % 64 == 0 && (uintptr_t)b % 128 == 0 && (uintptr_t)c % 32 == 0,
           "alignment");
    free(NULL);                                                  /* left out */
    errno = 0;
    expect(!malloc(SIZE_MAX - 4096) && errno == ENOMEM, "a malloc too large"); /* failed */
    errno = 0;
    expect(!calloc(SIZE_MAX, 2) && errno == ENOMEM, "a calloc that overflows"); /* failed */
    volatile size_t three = 3; /* not a constant, which clang would refuse */
    errno = 0;
    expect(!aligned_alloc(three, 8) && errno == EINVAL, "a bad alignment");   /* failed */
    free(p);                                                     /* f 0 */
    free(q);                                                     /* f 1 */
    free(r);                                                     /* f 2 */
    free(a);                                                     /* f 3 */
    free(b);                                                     /* f 4 */
    free(c);                                                     /* f 5 */
    printf("calls: %s\n", failures ? "failed" : "ok");
    return failures != 0;
}
