/* Frees one pointer twice. In the drop-in builds tagalloc's default error handler traps (as glibc
 * aborts), so the second line is never printed. Built with and without tagalloc by build.sh. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    char *volatile payload = malloc(24); /* volatile: the compiler may not drop either free */
    free(payload);
    puts("freed once");
    fflush(stdout);
    free(payload);
    puts("freed twice and carried on");
    return 0;
}
