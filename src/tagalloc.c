/* The core as one translation unit, so that the compiler sees every call between the heap's
 * operations and its index and can inline across them (each file is still one concern). */
#define TAGALLOC_CORE 1
#include "index.c"
#include "heap.c"
#include "check.c"
#include "events.c"
