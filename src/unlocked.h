/* The -mt libraries' core is compiled with this file force-included (build.sh: -include
 * src/unlocked.h) from src/libc.c, so the core defines and calls tagalloc_unlocked_* and never
 * a public name; src/lock.c then defines each public name as lock, the unlocked call, unlock,
 * and the standard names (names.h) as aliases of those. Calls inside the
 * core (calloc's malloc, the debug checks) stay unlocked: the lock is taken once, at the edge.
 * One line for every function src/tagalloc.h declares: test/threads.test.js fails when one is
 * missing here or in lock.c, so no call reaches the heap without the lock. */
#define TAGALLOC_UNLOCKED_CORE 1 /* libc.c then leaves the standard names to lock.c */
#define tagalloc_malloc tagalloc_unlocked_malloc
#define tagalloc_free tagalloc_unlocked_free
#define tagalloc_calloc tagalloc_unlocked_calloc
#define tagalloc_realloc tagalloc_unlocked_realloc
#define tagalloc_aligned_alloc tagalloc_unlocked_aligned_alloc
#define tagalloc_usable_size tagalloc_unlocked_usable_size
#define tagalloc_set_policy tagalloc_unlocked_set_policy
#define tagalloc_get_policy tagalloc_unlocked_get_policy
#define tagalloc_set_coalescing tagalloc_unlocked_set_coalescing
#define tagalloc_get_coalescing tagalloc_unlocked_get_coalescing
#define tagalloc_rover tagalloc_unlocked_rover
#define tagalloc_set_heap_limit tagalloc_unlocked_set_heap_limit
#define tagalloc_reset tagalloc_unlocked_reset
#define tagalloc_walk tagalloc_unlocked_walk
#define tagalloc_walk_from tagalloc_unlocked_walk_from
#define tagalloc_get_stats tagalloc_unlocked_get_stats
#define tagalloc_check tagalloc_unlocked_check
#define tagalloc_check_where tagalloc_unlocked_check_where
#define tagalloc_last_error tagalloc_unlocked_last_error
#define tagalloc_set_error_handler tagalloc_unlocked_set_error_handler
#define tagalloc_events tagalloc_unlocked_events
#define tagalloc_set_events tagalloc_unlocked_set_events
