/* errno where errno exists: the wasm32-wasi drop-in (build/wasi/libtagalloc.a) refuses impossible
 * sizes and alignments with NULL and ENOMEM or EINVAL, as the C library's allocator does, and a
 * failed realloc leaves its block untouched. size_t is 32 bits here.
 * Prints "ok N - case" or "not ok N - case" lines; exits 1 on a failure. */
#define _POSIX_C_SOURCE 200112L /* posix_memalign */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cases, failures;

static void prove(int ok, const char *what) {
    cases++;
    failures += !ok;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", cases, what);
}

/* Opaque to the optimizer, so that it cannot fold a call it knows must fail (or drop it). */
static void *(*volatile call_malloc)(size_t) = malloc;
static void *(*volatile call_calloc)(size_t, size_t) = calloc;
static void *(*volatile call_realloc)(void *, size_t) = realloc;
static void *(*volatile call_aligned_alloc)(size_t, size_t) = aligned_alloc;

/* The call returns NULL and sets errno to `expected`. */
#define FAILS_WITH(call, expected)                                                                 \
    do {                                                                                           \
        errno = 0;                                                                                 \
        void *result_ = (call);                                                                    \
        int errno_ = errno;                                                                        \
        prove(result_ == NULL && errno_ == (expected), #call " is NULL with errno " #expected);  \
    } while (0)

int main(void) {
    FAILS_WITH(call_malloc(SIZE_MAX), ENOMEM);
    FAILS_WITH(call_malloc(SIZE_MAX - 15), ENOMEM);
    FAILS_WITH(call_malloc(UINT32_MAX - 65535), ENOMEM);
    FAILS_WITH(call_calloc(65536, 65536), ENOMEM);
    FAILS_WITH(call_calloc(SIZE_MAX, 2), ENOMEM);
    FAILS_WITH(call_calloc(3, 0x55555556), ENOMEM);
    FAILS_WITH(call_aligned_alloc(0, 16), EINVAL);
    FAILS_WITH(call_aligned_alloc(3, 16), EINVAL);
    FAILS_WITH(call_aligned_alloc(24, 16), EINVAL);
    FAILS_WITH(call_aligned_alloc(1u << 17, 16), EINVAL);
    FAILS_WITH(call_aligned_alloc(64, SIZE_MAX), ENOMEM);
    FAILS_WITH(call_aligned_alloc(64, SIZE_MAX - 100), ENOMEM);

    unsigned char *block = call_malloc(100);
    memset(block, 0x5a, 100);
    FAILS_WITH(call_realloc(block, SIZE_MAX), ENOMEM);
    FAILS_WITH(call_realloc(block, SIZE_MAX - 64), ENOMEM);
    int intact = 1;
    for (int i = 0; i < 100; i++) intact &= block[i] == 0x5a;
    prove(intact, "a failed realloc leaves the block's bytes as they were");
    free(block);

    void *out = &out;
    errno = 0;
    int status = posix_memalign(&out, 24, 16);
    prove(status == EINVAL && errno == 0 && out == &out,
          "posix_memalign(24) returns EINVAL and leaves errno and *out alone");
    status = posix_memalign(&out, 0, 16);
    prove(status == EINVAL && errno == 0 && out == &out, "posix_memalign(0) returns EINVAL");
    status = posix_memalign(&out, 1u << 17, 16);
    prove(status == ENOMEM && out == &out, "posix_memalign above 64 KiB returns ENOMEM");
    return failures != 0;
}
