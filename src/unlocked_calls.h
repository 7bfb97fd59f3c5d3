/* The core's calls under their unlocked names (src/unlocked.h renames them where the core is
 * compiled), declared for the files that wrap each public call around one: lock.c (the lock) and
 * record.c (the recording). One line for every function src/tagalloc.h declares:
 * test/threads.test.js fails when one is missing. */
#ifndef TAGALLOC_UNLOCKED_CALLS_H
#define TAGALLOC_UNLOCKED_CALLS_H

#include "tagalloc.h"

#define UNLOCKED(name) extern __typeof__(tagalloc_##name) tagalloc_unlocked_##name;
UNLOCKED(malloc)
UNLOCKED(free)
UNLOCKED(calloc)
UNLOCKED(realloc)
UNLOCKED(aligned_alloc)
UNLOCKED(usable_size)
UNLOCKED(set_policy)
UNLOCKED(get_policy)
UNLOCKED(set_coalescing)
UNLOCKED(get_coalescing)
UNLOCKED(rover)
UNLOCKED(set_heap_limit)
UNLOCKED(reset)
UNLOCKED(walk)
UNLOCKED(walk_from)
UNLOCKED(get_stats)
UNLOCKED(check)
UNLOCKED(check_where)
UNLOCKED(last_error)
UNLOCKED(set_error_handler)
UNLOCKED(events)
UNLOCKED(set_events)

#endif
