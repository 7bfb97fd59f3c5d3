#!/usr/bin/env bash
# Builds every tagalloc artefact from src/. Idempotent. The only file that holds compiler flags.
#   bash build.sh            everything
#   bash build.sh native     only the named steps (native module wasi emscripten emscripten_mt
#                            record examples bench bench_threads programs web native_tests fuzz
#                            threads deps web_programs; page is deps module web web_programs;
#                            variant, only when named: see build_variant)
# When a tool is missing it installs the Debian packages itself as root, else prints the
# apt-get line and fails.
set -euo pipefail
cd "$(dirname "$0")"
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs} # Debian's emcc needs it

APT_PACKAGES="clang lld llvm wasi-libc libclang-rt-dev-wasm32 libclang-rt-14-dev emscripten binaryen wabt chromium valgrind"
CORE="src/tagalloc.c"
WASI_SYSROOT=/usr

need_tools() {
    local missing=()
    command -v clang >/dev/null || missing+=(clang)
    command -v wasm-ld >/dev/null || missing+=(wasm-ld)
    command -v llvm-ar >/dev/null || missing+=(llvm-ar)
    command -v wasm-opt >/dev/null || missing+=(wasm-opt)
    command -v wasm-objdump >/dev/null || missing+=(wasm-objdump)
    command -v emcc >/dev/null || missing+=(emcc)
    command -v chromium >/dev/null || missing+=(chromium)
    command -v valgrind >/dev/null || missing+=(valgrind) # bench/instructions.js
    [ -f /usr/lib/wasm32-wasi/libc.a ] || missing+=(wasi-libc)
    compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a" >/dev/null ||
        missing+=(libclang-rt-dev-wasm32)
    compgen -G "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" >/dev/null ||
        missing+=(libclang-rt-14-dev)
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" = 0 ]; then
        echo "build.sh: installing ${missing[*]} (Debian packages)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $APT_PACKAGES >/dev/null
    else
        echo "build.sh: missing ${missing[*]}; run: sudo apt-get install -y $APT_PACKAGES" >&2
        exit 1
    fi
}

bytes() { printf '%8d bytes  %s\n' "$(stat -c %s "$1")" "$1"; }

# Native: the core over a fixed arena, tagalloc_* names only, for tests, fuzzing, benchmarks.
NATIVE_FLAGS="-std=c11 -Wall -Wextra -Werror -O2 -g -fvisibility=hidden"
build_native() {
    mkdir -p build/native
    local objs=()
    for f in $CORE src/grow.c; do
        clang $NATIVE_FLAGS -c "$f" -o "build/native/$(basename "${f%.c}").o"
        objs+=("build/native/$(basename "${f%.c}").o")
    done
    rm -f build/native/libtagalloc.a
    llvm-ar rcs build/native/libtagalloc.a "${objs[@]}"
    bytes build/native/libtagalloc.a
    # The randomized model test, under AddressSanitizer and UBSan, invariants trapping.
    clang -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined \
        -fno-sanitize-recover=all -DTAGALLOC_DEBUG=1 $CORE src/grow.c test/native/model.c \
        -o build/native/model
}

# wasm/tagalloc.wasm: standalone, no libc, no imports; every policy, events on for the page.
# tagalloc.debug.wasm beside it: every invariant checked after every call.
MODULE_FLAGS="--target=wasm32 -nostdlib -std=c11 -mbulk-memory -Wall -Wextra -Werror
    -Wl,--no-entry -Wl,--export=__heap_base -Wl,--export=__data_end -Wl,--export=__global_base
    -DTAGALLOC_EVENTS=1 -DTAGALLOC_MODULE_EXPORTS=1 -DTAGALLOC_FAST_PATHS=0"
build_module() {
    mkdir -p build
    clang $MODULE_FLAGS -Oz $CORE src/walk_index.c src/grow.c wasm/module.c -o build/tagalloc.wasm
    wasm-opt -Oz --enable-bulk-memory build/tagalloc.wasm -o wasm/tagalloc.wasm
    clang $MODULE_FLAGS -O1 -g -DTAGALLOC_DEBUG=2 $CORE src/walk_index.c src/grow.c wasm/module.c \
        -o wasm/tagalloc.debug.wasm
    bytes wasm/tagalloc.wasm
    bytes wasm/tagalloc.debug.wasm
}
# Drop-in libraries: src/libc.c, which includes the core and grow.c (one translation unit) and
# defines the standard allocator names so libc's own malloc is never linked; segregated fit
# only; misuse traps, as glibc aborts. Two of each, from the same source:
#   libtagalloc.a        -Os with the fast paths (forced inline where they measure faster)
#   libtagalloc-small.a  -Os without the fast paths or the victim: under 2,048 bytes
# (-finline-functions undoes the -fno-inline-functions that emcc adds at -Os: without it the
# small drop-in ran at a quarter of its speed). bench/README.md has the measurements.
# No -mbulk-memory: a program linked with -s loses its features section, and the wasm-opt that
# clang then runs rejects memory.copy; memcpy comes from libc, as it does for libc's own malloc.
DROPIN_DEFINES="-DTAGALLOC_ALL_POLICIES=0 -DTAGALLOC_TRAP_ON_MISUSE=1"
DROPIN_FAST="-Os -finline-functions"
DROPIN_SMALL="-Os -finline-functions -DTAGALLOC_FAST_PATHS=0 -DTAGALLOC_VICTIM=0"

# wasm32-wasi: link it before libc: clang --target=wasm32-wasi prog.c build/wasi/libtagalloc.a
WASI_FLAGS="--target=wasm32-wasi --sysroot=$WASI_SYSROOT -std=c11 -Wall -Wextra -Werror"
wasi_dropin() { # object, source tree, then flags: src/libc.c compiled as the wasi drop-ins are
    clang $WASI_FLAGS $DROPIN_DEFINES "${@:3}" -c "$2/src/libc.c" -o "$1"
}
build_wasi() {
    mkdir -p build/wasi
    local variant
    for variant in "libtagalloc:$DROPIN_FAST" "libtagalloc-small:$DROPIN_SMALL"; do
        local name=${variant%%:*}
        wasi_dropin build/wasi/$name.o . ${variant#*:}
        rm -f build/wasi/$name.a
        llvm-ar rcs build/wasi/$name.a build/wasi/$name.o
        bytes build/wasi/$name.a
    done
}

# Emscripten: link with -sMALLOC=none: emcc prog.c build/emscripten/libtagalloc.a -sMALLOC=none
EMCC_FLAGS="-std=c11 -Wall -Wextra -Werror"
# Each also holds src/unthreaded.c, which makes an emcc -pthread link of it fail: wasm-ld names
# that object's archive member in its error, so the member is named as the message, "/" and
# all (an archive member's name cannot hold "/" when it is added: "%" stands in, then is patched).
UNTHREADED_MEMBER="the single-threaded tagalloc (-pthread programs link build/emscripten-mt/libtagalloc.a)"
name_unthreaded_member() { # archive: its "%" member name becomes UNTHREADED_MEMBER
    node -e 'const fs = require("fs");
        const [file, from, to] = process.argv.slice(1);
        const archive = fs.readFileSync(file), at = archive.indexOf(from);
        if (at < 0 || archive.indexOf(from, at + 1) >= 0) throw new Error(`${from}: not once`);
        archive.write(to, at, "latin1");
        fs.writeFileSync(file, archive);' "$1" "${UNTHREADED_MEMBER//\//%}" "$UNTHREADED_MEMBER"
}
build_emscripten() {
    mkdir -p build/emscripten
    local variant member=${UNTHREADED_MEMBER//\//%}
    emcc $EMCC_FLAGS -Oz -c src/unthreaded.c -o "build/emscripten/$member"
    for variant in "libtagalloc:$DROPIN_FAST" "libtagalloc-small:$DROPIN_SMALL"; do
        local name=${variant%%:*}
        emcc $EMCC_FLAGS ${variant#*:} $DROPIN_DEFINES -c src/libc.c -o build/emscripten/$name.o
        rm -f build/emscripten/$name.a
        emar rcs build/emscripten/$name.a build/emscripten/$name.o "build/emscripten/$member"
        name_unthreaded_member build/emscripten/$name.a
        bytes build/emscripten/$name.a
    done
}

# Emscripten -pthread: build/emscripten-mt/libtagalloc.a, for emcc -pthread ... -sMALLOC=none.
# src/libc.c compiled with -pthread (atomics and bulk memory) and with src/unlocked.h
# force-included, so the core defines tagalloc_unlocked_* and libc.c no standard names; src/lock.c
# defines the public names around one lock and the standard names as aliases of those (names.h).
# -O2: the lock's call costs less than -O2 gains (bench/README.md, the threads benchmark).
EMCC_MT_FLAGS="-std=c11 -Wall -Wextra -Werror -O2 -pthread"
build_emscripten_mt() {
    mkdir -p build/emscripten-mt
    emcc $EMCC_MT_FLAGS $DROPIN_DEFINES -include src/unlocked.h -c src/libc.c \
        -o build/emscripten-mt/core.o
    emcc $EMCC_MT_FLAGS $DROPIN_DEFINES -c src/lock.c -o build/emscripten-mt/lock.o
    rm -f build/emscripten-mt/libtagalloc.a
    emar rcs build/emscripten-mt/libtagalloc.a build/emscripten-mt/core.o build/emscripten-mt/lock.o
    bytes build/emscripten-mt/libtagalloc.a
}

# The recording drop-ins (issue 14): build/wasi/libtagalloc-record.a and
# build/emscripten/libtagalloc-record.a. src/libc.c is compiled as for the -mt library, with
# src/unlocked.h force-included (the core defines tagalloc_unlocked_*), and with the core's events
# on; src/record.c defines the public and standard names as the unlocked call, then one record to
# the host through the import env.tagalloc_record (src/record.h). Same optimisation as the
# ordinary drop-in, but no quick lists: the page replays the trace on tagalloc.wasm, which keeps
# none, and must draw the heap the program had. Emscripten programs link src/record.js
# (--js-library) for that import; the Emscripten archive also carries src/unthreaded.c, as
# build_emscripten's do.
# Then the recording tests' programs (test/record/*.c, test/record.test.js): each linked with the
# recording library, and wordfreq also with the ordinary one, which bin/tagalloc.js must refuse;
# wordfreq also for Emscripten.
RECORD_DEFINES="$DROPIN_DEFINES -DTAGALLOC_EVENTS=1 -DTAGALLOC_QUICK=0"
RECORD_PROGRAMS="wordfreq tree calls"
build_record_wasi() {
    mkdir -p build/wasi
    clang $WASI_FLAGS $DROPIN_FAST $RECORD_DEFINES -include src/unlocked.h -c src/libc.c \
        -o build/wasi/record-core.o
    clang $WASI_FLAGS $DROPIN_FAST $RECORD_DEFINES -c src/record.c -o build/wasi/record.o
    rm -f build/wasi/libtagalloc-record.a
    llvm-ar rcs build/wasi/libtagalloc-record.a build/wasi/record-core.o build/wasi/record.o
    bytes build/wasi/libtagalloc-record.a
}
build_record() {
    mkdir -p build/wasi build/emscripten build/record
    build_record_wasi
    local member=${UNTHREADED_MEMBER//\//%}
    emcc $EMCC_FLAGS -Oz -c src/unthreaded.c -o "build/emscripten/$member"
    emcc $EMCC_FLAGS $DROPIN_FAST $RECORD_DEFINES -include src/unlocked.h -c src/libc.c \
        -o build/emscripten/record-core.o
    emcc $EMCC_FLAGS $DROPIN_FAST $RECORD_DEFINES -c src/record.c -o build/emscripten/record.o
    rm -f build/emscripten/libtagalloc-record.a
    emar rcs build/emscripten/libtagalloc-record.a build/emscripten/record-core.o \
        build/emscripten/record.o "build/emscripten/$member"
    name_unthreaded_member build/emscripten/libtagalloc-record.a
    bytes build/emscripten/libtagalloc-record.a

    local program
    for program in $RECORD_PROGRAMS; do # -fno-builtin: calls.c's allocations, some unused, stay
        clang $WASI_FLAGS -O2 -fno-builtin -c test/record/$program.c -o build/record/$program.o
        clang $WASI_LINK_FLAGS build/record/$program.o build/wasi/libtagalloc-record.a \
            -o build/record/$program.wasm
        bytes build/record/$program.wasm
    done
    clang $WASI_LINK_FLAGS build/record/wordfreq.o build/wasi/libtagalloc.a \
        -o build/record/wordfreq.plain.wasm
    clang $WASI_FLAGS -O2 -Isrc examples/double-free.c build/wasi/libtagalloc-record.a \
        -o build/record/double-free.wasm # traps on its second free: the trace still comes out
    # The same program on Emscripten: src/record.js hands each record to Module.tagallocRecord
    # (MODULARIZE: the test passes that Module in).
    echo '{ "type": "commonjs" }' >build/record/package.json
    emcc $EMCC_FLAGS -O2 -sMALLOC=none -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1 -sMODULARIZE=1 \
        -sENVIRONMENT=node --js-library src/record.js test/record/wordfreq.c \
        build/emscripten/libtagalloc-record.a -o build/record/wordfreq.emscripten.cjs
    bytes build/record/wordfreq.emscripten.wasm
}

# Examples of the drop-ins. The wasi programs keep wasm-ld's name section (linked without -O,
# which would make clang run wasm-opt, and wasm-opt drops names), so test/dropin.test.js can tell
# that no dlmalloc function was linked; double-free.dlmalloc.wasi.wasm is the same program on
# wasi-libc's own malloc: the control that shows what the test looks for.
# Emscripten's glue is CommonJS, so its programs are .cjs in this ES-module package.
WASI_LINK_FLAGS="--target=wasm32-wasi --sysroot=$WASI_SYSROOT -Wl,--strip-debug"
EMCC_EXAMPLE_FLAGS="-Oz -sMALLOC=none -sALLOW_MEMORY_GROWTH=1 -sSINGLE_FILE -sEXIT_RUNTIME=1"
build_examples() {
    mkdir -p build/examples
    local name
    for name in libc-demo double-free; do
        clang $WASI_FLAGS -O2 -Isrc -c "examples/$name.c" -o "build/examples/$name.wasi.o"
        clang $WASI_LINK_FLAGS "build/examples/$name.wasi.o" build/wasi/libtagalloc.a \
            -o "build/examples/$name.wasi.wasm"
        emcc $EMCC_FLAGS -Isrc $EMCC_EXAMPLE_FLAGS "examples/$name.c" \
            build/emscripten/libtagalloc.a -o "build/examples/$name.emscripten.cjs"
        bytes "build/examples/$name.wasi.wasm"
        bytes "build/examples/$name.emscripten.cjs"
    done
    # -sSAFE_HEAP makes the JS glue call sbrk(0): src/grow.c provides it
    emcc $EMCC_FLAGS -Isrc $EMCC_EXAMPLE_FLAGS -sSAFE_HEAP=1 examples/libc-demo.c \
        build/emscripten/libtagalloc.a -o build/examples/libc-demo.safe-heap.emscripten.cjs
    bytes build/examples/libc-demo.safe-heap.emscripten.cjs
    clang $WASI_LINK_FLAGS build/examples/double-free.wasi.o \
        -o build/examples/double-free.dlmalloc.wasi.wasm
    bytes build/examples/double-free.dlmalloc.wasi.wasm
    # The link lines README gives, -O2 with and without -s (clang then runs wasm-opt on a module
    # whose features section -s stripped), and the size-first libraries.
    clang --target=wasm32-wasi --sysroot=$WASI_SYSROOT -O2 -s -Isrc examples/libc-demo.c \
        build/wasi/libtagalloc.a -o build/examples/libc-demo.stripped.wasi.wasm
    clang --target=wasm32-wasi --sysroot=$WASI_SYSROOT -O2 -Isrc examples/libc-demo.c \
        build/wasi/libtagalloc-small.a -o build/examples/libc-demo.small.wasi.wasm
    emcc $EMCC_FLAGS -Isrc $EMCC_EXAMPLE_FLAGS examples/libc-demo.c \
        build/emscripten/libtagalloc-small.a -o build/examples/libc-demo.small.emscripten.cjs
    for name in stripped.wasi.wasm small.wasi.wasm small.emscripten.cjs; do
        bytes build/examples/libc-demo.$name
    done
}

# The page (web/, served by web/serve.js): no build step of its own; it gets a copy of the
# CS:APP traces (traces/malloclab) in web/traces/ (gitignored) and web/traces/index.json listing
# them for its menus.
build_web() {
    local to=web/traces f
    mkdir -p $to
    cp -u traces/malloclab/*.rep $to/
    {
        echo '['
        local sep=
        for f in $to/*.rep; do
            [ -e "$f" ] || continue
            # header: suggested heap size, ids, ops, weight
            printf '%s  {"name": "%s", "file": "%s", "ids": %d, "ops": %d}' "$sep" \
                "$(basename "$f" .rep)" "$(basename "$f")" "$(sed -n 2p "$f")" "$(sed -n 3p "$f")"
            sep=$',\n'
        done
        printf '\n]\n'
    } >$to/index.json
    bytes $to/index.json
}

# The page's Programs view (web/programs.js): C programs linked with the wasi recording library,
# run in the browser under web/wasi.js, into web/programs/ (not in git). examples/page/programs.json
# becomes web/programs/index.json: each program's file, arguments, and the files its in-memory
# file system starts with (here a licence text from Debian's common-licenses, as LICENSE).
build_web_programs() {
    local out=web/programs
    mkdir -p $out
    build_record_wasi
    local link=(clang $WASI_FLAGS -O2 -Wl,--strip-debug) lib=build/wasi/libtagalloc-record.a
    "${link[@]}" examples/page/wordcount.c $lib -o $out/wordcount.wasm
    "${link[@]}" test/record/tree.c $lib -o $out/tree.wasm
    cp /usr/share/common-licenses/GPL-3 $out/GPL-3.txt
    cp examples/page/programs.json $out/index.json
    for f in $out/*.wasm $out/index.json; do bytes "$f"; done
}

# A wasm32-wasi link (output, then clang arguments) optimised as emcc optimises: linked without
# -O, so that clang runs no wasm-opt of its own with other settings, then wasm-opt -O2 with names
# and producers dropped, so that the bytes are code and data. The trace
# bench and the program bench link every wasi module through it, so they compare alike.
wasi_link_o2() {
    local wasm=$1
    shift
    clang --target=wasm32-wasi --sysroot=$WASI_SYSROOT "$@" -o "$wasm"
    wasm-opt -O2 --strip-debug --strip-producers --strip-target-features "$wasm" -o "$wasm"
}
wasi_bench() { wasi_link_o2 "$1" -mexec-model=reactor "${@:2}"; } # output, objects, libraries

# Bench: bench/replay.c linked against each allocator it compares (build/bench/*.wasm), the bump
# build of the same driver whose bytes the others subtract, and a native driver for callgrind.
# A tagalloc library not built yet is skipped with a note; bench/run.js then lists it as missing.
build_bench() {
    mkdir -p build/bench
    local cc=(clang --target=wasm32-wasi --sysroot=$WASI_SYSROOT -std=c11 -Wall -Wextra -Werror -O2)
    local emcc=(emcc -std=c11 -Wall -Wextra -Werror -O2 --no-entry -sALLOW_MEMORY_GROWTH
        -sMAXIMUM_MEMORY=4GB -sTOTAL_STACK=65536) # wasm-ld's stack, 64 KiB
    local driver=bench/replay.c out=build/bench

    "${cc[@]}" -c $driver -o $out/replay.o
    "${cc[@]}" -DREPLAY_BUMP=1 -c $driver -o $out/replay-bump.o
    wasi_bench $out/bump-wasi.wasm $out/replay-bump.o
    wasi_bench $out/dlmalloc-wasi.wasm $out/replay.o # wasi-libc's own malloc
    mkdir -p $out/faulty # bumps wrong on purpose, for test/bench.test.js
    local fault
    for fault in 1:overlap 2:misaligned 3:scribble; do
        "${cc[@]}" -DREPLAY_BUMP=1 -DREPLAY_BUMP_FAULT=${fault%%:*} -c $driver -o $out/faulty/replay.o
        wasi_bench $out/faulty/${fault#*:}.wasm $out/faulty/replay.o
    done
    if [ -f build/wasi/libtagalloc.a ]; then
        wasi_bench $out/tagalloc-wasi.wasm $out/replay.o build/wasi/libtagalloc.a
        wasi_bench $out/tagalloc-small-wasi.wasm $out/replay.o build/wasi/libtagalloc-small.a
    else
        echo "build.sh: bench: no build/wasi/libtagalloc.a yet (bash build.sh wasi); skipped"
    fi
    if [ -f src/tagalloc.c ] && [ -f src/libc.c ]; then # every policy, switched from JavaScript
        clang $WASI_FLAGS $DROPIN_FAST -DTAGALLOC_ALL_POLICIES=1 -DTAGALLOC_TRAP_ON_MISUSE=1 \
            -c src/libc.c -o $out/policies-tagalloc.o # as build_wasi, with every policy
        "${cc[@]}" -DREPLAY_POLICIES=1 -c $driver -o $out/replay-policies.o
        wasi_bench $out/tagalloc-policies-wasi.wasm $out/replay-policies.o $out/policies-tagalloc.o
    else
        echo "build.sh: bench: no src/tagalloc.c or src/libc.c yet; policy sweep skipped"
    fi

    # Emscripten as its users link it, with the JS glue; bench/run.js stands in for the glue's
    # three imports (emscripten_resize_heap, emscripten_get_heap_max, emscripten_memcpy_big), so
    # only the .wasm is kept. The default 16 MiB initial memory would count against its pages:
    # link once to learn __heap_base, then again with the initial memory rounded up from there.
    emcc_bench() { # output .wasm, then emcc arguments
        local wasm=$1 base pages
        shift
        "${emcc[@]}" -sINITIAL_MEMORY=64MB "$@" -o "${wasm%.wasm}.js"
        base=$(node -e 'const fs = require("fs");
            const m = new WebAssembly.Module(fs.readFileSync(process.argv[1]));
            const env = {};
            for (const { name } of WebAssembly.Module.imports(m)) env[name] = () => 0;
            console.log(new WebAssembly.Instance(m, { env }).exports.replay_heap_base());' "$wasm")
        pages=$(((base + 65535) / 65536))
        "${emcc[@]}" -sINITIAL_MEMORY=$((pages * 65536)) "$@" -o "${wasm%.wasm}.js"
        rm "${wasm%.wasm}.js"
    }
    emcc_bench $out/bump-emscripten.wasm -sMALLOC=none -DREPLAY_BUMP=1 $driver
    emcc_bench $out/dlmalloc-emscripten.wasm -sMALLOC=dlmalloc $driver
    emcc_bench $out/emmalloc-emscripten.wasm -sMALLOC=emmalloc $driver
    if [ -f build/emscripten/libtagalloc.a ]; then
        emcc_bench $out/tagalloc-emscripten.wasm -sMALLOC=none $driver build/emscripten/libtagalloc.a
        emcc_bench $out/tagalloc-small-emscripten.wasm -sMALLOC=none $driver \
            build/emscripten/libtagalloc-small.a
    else
        echo "build.sh: bench: no build/emscripten/libtagalloc.a yet (bash build.sh emscripten); skipped"
    fi

    if [ -f build/native/libtagalloc.a ]; then # valgrind --tool=callgrind: see bench/README.md
        # Valgrind 3.19 gives up on clang 14's DWARF 5 (so the debug info goes; function names
        # stay) and on grow.c's 64 KiB-aligned arena in a binary laid out in 4 KiB pages.
        clang $NATIVE_FLAGS -Wl,--strip-debug -Wl,-z,max-page-size=65536 -DREPLAY_NATIVE=1 \
            $driver build/native/libtagalloc.a -o $out/replay-native
        bytes $out/replay-native
    fi
    local dlmalloc_c=/usr/share/emscripten/system/lib/dlmalloc.c # the same driver on dlmalloc
    if [ -f $dlmalloc_c ]; then # -w: dlmalloc's own warnings are not this project's to fix
        clang -O2 -w -DUSE_DL_PREFIX -DHAVE_MMAP=0 -c $dlmalloc_c -o $out/dlmalloc-native.o
        clang $NATIVE_FLAGS -Wl,--strip-debug -DREPLAY_NATIVE=1 $driver bench/native-dlmalloc.c \
            $out/dlmalloc-native.o -o $out/replay-native-dlmalloc
        bytes $out/replay-native-dlmalloc
    fi
    for f in $out/*.wasm; do bytes "$f"; done
}

# A variant of the wasi drop-in for bench/compare.js, built only when asked:
#   VARIANT=q128 VARIANT_FLAGS='-DQUICK_BYTES=128u' [VARIANT_SRC=dir] bash build.sh variant
# compiles VARIANT_SRC/src/libc.c (default: this tree) as build_wasi compiles libtagalloc.a, with
# VARIANT_FLAGS after the drop-in's own, and links it with the bench driver as build_bench links
# tagalloc-wasi.wasm (the same bytes when nothing is added), into build/variants/VARIANT.wasm. For
# a change to the code, VARIANT_SRC is a second checkout (git worktree add) that holds it.
build_variant() {
    local name=${VARIANT:?VARIANT=name [VARIANT_FLAGS=...] bash build.sh variant}
    local src=${VARIANT_SRC:-.} out=build/variants
    [ -f build/bench/replay.o ] && [ -f build/bench/bump-wasi.wasm ] || build_bench
    mkdir -p $out
    wasi_dropin $out/$name.o "$src" $DROPIN_FAST ${VARIANT_FLAGS:-}
    wasi_bench $out/$name.wasm build/bench/replay.o $out/$name.o
    local code=$(($(stat -c %s $out/$name.wasm) - $(stat -c %s build/bench/bump-wasi.wasm)))
    printf '%8d bytes  %s (code bytes, as bench/run.js counts them)\n' $code $out/$name.wasm
}

# Programs: bench/programs/*.c, whole C programs that allocate as real ones do, each linked with
# every allocator the trace bench compares, into build/programs/PROGRAM-ALLOCATOR.{wasm,cjs}; run
# by bench/programs.js and test/programs.test.js through bench/program.js. All -O2. A tagalloc
# library not built yet (the -small ones are optional) is skipped with a note.
PROGRAMS="json wordfreq binarytrees"
build_programs() {
    mkdir -p build/programs
    local cc=(clang --target=wasm32-wasi --sysroot=$WASI_SYSROOT -std=c11 -Wall -Wextra -Werror -O2)
    local emcc=(emcc -std=c11 -Wall -Wextra -Werror -O2)
    # MODULARIZE: bench/program.js hands the glue the compiled module and its stdout and exit
    # hooks. The stack is wasm-ld's 64 KiB, as in the wasi builds, and the initial memory two
    # pages, not 16 MiB, so that the memory a program ends with is what its allocator grew.
    local emcc_link=(emcc -O2 -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1 -sMODULARIZE=1
        -sENVIRONMENT=node -sTOTAL_STACK=65536 -sINITIAL_MEMORY=131072)
    local out=build/programs program lib

    for program in $PROGRAMS; do
        "${cc[@]}" -c bench/programs/$program.c -o $out/$program.wasi.o
        "${emcc[@]}" -c bench/programs/$program.c -o $out/$program.emscripten.o
        wasi_link_o2 $out/$program-dlmalloc-wasi.wasm $out/$program.wasi.o # wasi-libc's own malloc
        "${emcc_link[@]}" -sMALLOC=dlmalloc $out/$program.emscripten.o \
            -o $out/$program-dlmalloc-emscripten.cjs
        "${emcc_link[@]}" -sMALLOC=emmalloc $out/$program.emscripten.o \
            -o $out/$program-emmalloc-emscripten.cjs
        for lib in tagalloc tagalloc-small; do
            if [ -f build/wasi/lib$lib.a ]; then
                wasi_link_o2 $out/$program-$lib-wasi.wasm $out/$program.wasi.o build/wasi/lib$lib.a
            else
                echo "build.sh: programs: no build/wasi/lib$lib.a; $program-$lib-wasi skipped"
            fi
            if [ -f build/emscripten/lib$lib.a ]; then
                "${emcc_link[@]}" -sMALLOC=none $out/$program.emscripten.o \
                    build/emscripten/lib$lib.a -o $out/$program-$lib-emscripten.cjs
            else
                echo "build.sh: programs: no build/emscripten/lib$lib.a;" \
                    "$program-$lib-emscripten skipped"
            fi
        done
    done
    for f in $out/*.wasm; do bytes "$f"; done
}

# The threads benchmark (bench/threads.js): bench/threads.c linked against tagalloc's -mt drop-in
# and Emscripten's dlmalloc and emmalloc, each with -pthread (4 workers waiting in the pool, so no
# pass waits for one to load), and against the same three without -pthread: what -pthread costs a
# single-threaded program. tagalloc-O2: the -mt library's build without the lock, which isolates
# the lock's cost. Each program is run under Node; its .worker.js is CommonJS too.
EMCC_BENCH_THREADS_FLAGS="-O2 -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1"
EMCC_BENCH_PTHREAD_FLAGS="-pthread -Wno-pthreads-mem-growth -sPTHREAD_POOL_SIZE=4"
build_bench_threads() {
    local out=build/bench/threads malloc
    mkdir -p $out
    echo '{ "type": "commonjs" }' >$out/package.json
    emcc $EMCC_BENCH_THREADS_FLAGS $EMCC_BENCH_PTHREAD_FLAGS -sMALLOC=none bench/threads.c \
        build/emscripten-mt/libtagalloc.a -o $out/tagalloc-mt.cjs
    emcc $EMCC_BENCH_THREADS_FLAGS -sMALLOC=none bench/threads.c build/emscripten/libtagalloc.a \
        -o $out/tagalloc.cjs
    # The lock alone: the -mt library's core and flags without src/lock.c or the renames, and with
    # -pthread's bulk memory (memcpy and memset in one instruction) but not its atomics.
    emcc ${EMCC_MT_FLAGS/-pthread/-mbulk-memory} $DROPIN_DEFINES -c src/libc.c -o $out/st-libc.o
    emcc ${EMCC_MT_FLAGS/-pthread/-mbulk-memory} -c src/unthreaded.c -o $out/st-unthreaded.o
    emcc $EMCC_BENCH_THREADS_FLAGS -sMALLOC=none bench/threads.c $out/st-libc.o \
        $out/st-unthreaded.o -o $out/tagalloc-O2.cjs
    for malloc in dlmalloc emmalloc; do
        emcc $EMCC_BENCH_THREADS_FLAGS $EMCC_BENCH_PTHREAD_FLAGS -sMALLOC=$malloc bench/threads.c \
            -o $out/$malloc-mt.cjs
        emcc $EMCC_BENCH_THREADS_FLAGS -sMALLOC=$malloc bench/threads.c -o $out/$malloc.cjs
    done
    for f in $out/*.wasm; do bytes "$f"; done
}

# Native tests of the error model, under AddressSanitizer and UBSan: test/native/errors.c over a
# 1 MiB arena with the release checks, with TAGALLOC_DEBUG=2, and with the drop-ins' trapping
# default handler; checker, which breaks each invariant and expects tagalloc_check() to say so;
# replay-ops, the native half of test/differential.test.js (it brings its own
# grow_base, so no src/grow.c); cost, the release workload docs/errors.md measures with callgrind;
# and, once build/wasi/libtagalloc.a exists, the wasi drop-in's errno check.
NATIVE_TEST_FLAGS="-std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined
    -fno-sanitize-recover=all"
build_native_tests() {
    mkdir -p build/native
    local small='-DTAGALLOC_ARENA_BYTES=(1u<<20)' errors=(test/native/errors.c $CORE src/grow.c)
    clang $NATIVE_TEST_FLAGS "$small" "${errors[@]}" -o build/native/errors
    clang $NATIVE_TEST_FLAGS "$small" -DTAGALLOC_DEBUG=2 "${errors[@]}" -o build/native/errors-debug
    clang $NATIVE_TEST_FLAGS "$small" -DTAGALLOC_TRAP_ON_MISUSE=1 "${errors[@]}" \
        -o build/native/errors-trap
    clang $NATIVE_TEST_FLAGS "$small" test/native/checker.c $CORE src/grow.c -o build/native/checker
    clang $NATIVE_TEST_FLAGS -DTAGALLOC_QUICK=0 test/native/replay-ops.c $CORE \
        -o build/native/replay-ops # the module keeps no quick lists: same chunks, same order
    clang $NATIVE_FLAGS test/native/cost.c $CORE src/grow.c -o build/native/cost # for callgrind
    for f in errors errors-debug errors-trap checker replay-ops cost; do bytes build/native/$f; done
    if [ -f build/wasi/libtagalloc.a ]; then
        clang $WASI_FLAGS -O2 -c test/native/errno.c -o build/native/errno.wasi.o
        clang $WASI_LINK_FLAGS build/native/errno.wasi.o build/wasi/libtagalloc.a \
            -o build/native/errno.wasi.wasm
        bytes build/native/errno.wasi.wasm
    else
        echo "build.sh: no build/wasi/libtagalloc.a (bash build.sh wasi): errno check skipped"
    fi
}

# Threads (test/threads.test.js): test/threads/stress.c, threads sharing one heap, built four
# ways. stress.cjs: the -mt drop-in under Node, memory starting small so that it grows while the
# threads allocate (each thread's stack, 128 KiB, comes from the heap too; emcc's warning that
# growth slows JS access to memory under -pthread is silenced: nothing here is JS-heavy).
# web/stress.js: the same for Chromium, started by test/threads/stress.html and served by
# web/serve.js, which sends the COOP/COEP headers that SharedArrayBuffer needs; its main thread
# works too, so it waits for the lock on the browser's main thread. tsan/stress and
# tsan/stress-unlocked: the core natively under ThreadSanitizer, with src/lock.c's pthread mutex
# and, to show that the tool finds what the lock prevents, without it.
# misuse-link.txt: what emcc -pthread says when given the single-threaded library.
# Emscripten's glue is CommonJS, and so is the .worker.js each thread loads: the package.json
# here says so, since the repository's says "type": "module".
EMCC_THREADS_FLAGS="-O2 -pthread -Wno-pthreads-mem-growth -Isrc -sMALLOC=none -sEXIT_RUNTIME=1 -sPTHREAD_POOL_SIZE=8
    -sALLOW_MEMORY_GROWTH=1 -sINITIAL_MEMORY=1MB -sTOTAL_STACK=512KB
    -sDEFAULT_PTHREAD_STACK_SIZE=128KB"
TSAN_FLAGS="-std=c11 -Wall -Wextra -Werror -O1 -g -pthread -fsanitize=thread -Isrc
    -DTAGALLOC_DEBUG=1 -DTAGALLOC_ARENA_BYTES=(64u<<20)"
build_threads() {
    local out=build/threads f
    mkdir -p $out/web $out/tsan
    echo '{ "type": "commonjs" }' >$out/package.json
    emcc $EMCC_THREADS_FLAGS test/threads/stress.c build/emscripten-mt/libtagalloc.a \
        -o $out/stress.cjs
    emcc $EMCC_THREADS_FLAGS -sENVIRONMENT=web,worker test/threads/stress.c \
        build/emscripten-mt/libtagalloc.a -o $out/web/stress.js
    cp test/threads/stress.html $out/web/stress.html
    rm -f $out/misuse.*
    if emcc $EMCC_THREADS_FLAGS test/threads/stress.c build/emscripten/libtagalloc.a \
        -o $out/misuse.cjs 2>$out/misuse-link.txt; then
        echo "linked" >>$out/misuse-link.txt
    fi
    local locked=() unlocked=()
    for f in $CORE src/grow.c; do
        clang $TSAN_FLAGS -include src/unlocked.h -c "$f" -o "$out/tsan/$(basename "${f%.c}").o"
        clang $TSAN_FLAGS -c "$f" -o "$out/tsan/unlocked-$(basename "${f%.c}").o"
        locked+=("$out/tsan/$(basename "${f%.c}").o")
        unlocked+=("$out/tsan/unlocked-$(basename "${f%.c}").o")
    done
    clang $TSAN_FLAGS test/threads/stress.c src/lock.c "${locked[@]}" -o $out/tsan/stress
    clang $TSAN_FLAGS test/threads/stress.c "${unlocked[@]}" -o $out/tsan/stress-unlocked
    for f in $out/stress.cjs $out/stress.wasm $out/web/stress.html $out/tsan/stress \
        $out/tsan/stress-unlocked; do bytes "$f"; done
}

# The libFuzzer target test/native/fuzz.c over an 8 MiB arena (below 16 MiB, see the file): the
# core's sources compiled in, with coverage, ASan and UBSan, invariants trapping. Its seed corpus
# is test/native/corpus (bash test/native/make-corpus.sh); test/fuzz.test.js runs it.
build_fuzz() {
    mkdir -p build/native
    clang -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=fuzzer,address,undefined \
        -fno-sanitize-recover=all -DTAGALLOC_DEBUG=1 '-DTAGALLOC_ARENA_BYTES=(8u<<20)' \
        test/native/fuzz.c $CORE src/grow.c -o build/native/fuzz
    bytes build/native/fuzz
}

build_deps() {
    # again whenever package-lock.json is newer than what npm last installed
    [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund
}

need_tools
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(deps native module wasi emscripten emscripten_mt record examples bench
    bench_threads programs web web_programs native_tests fuzz threads)
for step in "${steps[@]}"; do
    case $step in
    page) build_deps && build_module && build_web && build_web_programs ;; # npm start's
    *) "build_$step" ;;
    esac
done
