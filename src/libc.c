/* The drop-in: the core, grow.c and the standard allocator names, as one translation unit.
 * Only the wasm32-wasi and Emscripten libraries hold it; native builds leave the host's malloc
 * alone. The standard names (names.h) are aliases of the core's calls, so malloc and free cost
 * no extra call, and the core's files are still one concern each.
 *
 * The -mt library compiles this file with unlocked.h force-included: the core's calls are then
 * tagalloc_unlocked_*, and lock.c defines the public and standard names around its lock. */
#define _POSIX_C_SOURCE 200112L /* posix_memalign's prototype */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include "tagalloc.h"

/* errno for a refused allocation, as the standard allocator sets it. The core sets it from its
 * cold refusal path, in the calling thread (in the -mt library, with the lock held). */
#define TAGALLOC_SET_ERRNO(code) (errno = (code) == TAGALLOC_ERR_BAD_ALIGNMENT ? EINVAL : ENOMEM)

#include "tagalloc.c"
#include "grow.c"

#if !defined(TAGALLOC_UNLOCKED_CORE)
#include "names.h"
#endif
