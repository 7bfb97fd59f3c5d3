// Emscripten's side of the recording drop-in (build/emscripten/libtagalloc-record.a): link with
//   emcc ... build/emscripten/libtagalloc-record.a -sMALLOC=none --js-library src/record.js
// Each record (src/record.h) reaches Module.tagallocRecord(words, data) when the program's Module
// defines it: words, a Uint32Array copy of the record's 12 words; data, a copy of its events or
// chunks, 3 words each. Without Module.tagallocRecord the records are dropped.
mergeInto(LibraryManager.library, {
  tagalloc_record: function (entry) {
    if (!Module['tagallocRecord']) return;
    var words = HEAPU32.slice(entry >> 2, (entry >> 2) + 12);
    var items = Math.min(words[10], 1024); // TAGALLOC_EVENT_MAX; chunk pages are smaller
    var data = HEAPU32.slice(words[11] >> 2, (words[11] >> 2) + 3 * items);
    Module['tagallocRecord'](words, data);
  },
});
