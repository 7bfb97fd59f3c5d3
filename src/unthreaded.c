/* Only in build/emscripten/libtagalloc.a, the single-threaded drop-in: it makes an emcc -pthread
 * link of that library fail instead of corrupting the heap at run time. Compiled without
 * -pthread, a thread-local variable becomes a plain one, and clang marks the object as unsafe to
 * share: its target_features section disallows shared-mem. wasm-ld refuses such an object in a
 * --shared-memory link (emcc -pthread) with
 *   error: --shared-memory is disallowed by <archive member> because it was not compiled with
 *   'atomics' or 'bulk-memory' features.
 * build.sh names the archive member so that the message says which library to link instead, and
 * libc.c refers to tagalloc_unthreaded, so every link of the drop-in loads this object. */
_Thread_local char tagalloc_unthreaded_marker; /* never read: only its stripping matters */
char tagalloc_unthreaded;
