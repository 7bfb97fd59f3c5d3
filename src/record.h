/* The recording drop-ins (build/wasi/libtagalloc-record.a, build/emscripten/libtagalloc-record.a):
 * after every allocation call of the program, and once more at its exit, src/record.c hands the
 * host one record through the one function the library imports, env.tagalloc_record. The record
 * lives in linear memory until the import returns; on wasm32 every field is 4 bytes, so the host
 * reads it as TAGALLOC_RECORD_WORDS little-endian words at the pointer it is given (bin/record.js
 * does). Nothing else reaches the host, and nothing the program sees changes. */
#ifndef TAGALLOC_RECORD_H
#define TAGALLOC_RECORD_H

#include "tagalloc.h"

enum {
    TAGALLOC_RECORD_MALLOC,        /* args: request */
    TAGALLOC_RECORD_CALLOC,        /* args: count, size */
    TAGALLOC_RECORD_REALLOC,       /* args: payload, request */
    TAGALLOC_RECORD_ALIGNED_ALLOC, /* args: alignment, request (also memalign, posix_memalign) */
    TAGALLOC_RECORD_FREE,          /* args: payload */
    TAGALLOC_RECORD_CHUNKS,        /* at exit, one or more: args: chunks here, chunks in the heap;
                                    * data: that many tagalloc_chunk, in address order */
};

typedef struct tagalloc_record_entry {
    uint32_t call;       /* TAGALLOC_RECORD_* */
    uint32_t args[2];    /* what was asked, as above */
    uint32_t result;     /* the payload returned; 0 for NULL and for free */
    uint32_t error;      /* tagalloc_last_error() after the call */
    uint32_t heap_size;  /* bytes from the first chunk to the heap's end, after the call */
    uint32_t in_use;     /* bytes in used chunks, tags included, after the call */
    uint32_t peak_heap;  /* the largest heap_size so far, bytes */
    uint32_t memory;     /* the module's linear memory, bytes, after the call */
    uint32_t heap_start; /* address of the first chunk (0 before the heap's first growth) */
    uint32_t count;      /* events of the call (may exceed TAGALLOC_EVENT_MAX) or chunks here */
    uint32_t data;       /* address of the tagalloc_event or tagalloc_chunk array */
} tagalloc_record_entry;

#define TAGALLOC_RECORD_WORDS 12

#endif
