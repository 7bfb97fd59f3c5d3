#!/usr/bin/env bash
# Writes the fuzzer's seed corpus, test/native/corpus/, one file a scenario. Each file is a
# sequence of operations in test/native/fuzz.c's encoding; rerun this after changing it.
#   bash test/native/make-corpus.sh
set -euo pipefail
cd "$(dirname "$0")"
rm -rf corpus
mkdir corpus

# Operations, as hex bytes. Sizes are 2 bytes, little-endian: 2 bits pick the range (see size_of).
size() {
    local s=$1 v
    if ((s < 64)); then v=$s
    elif ((s < 1024)); then v=$((0x4000 | s))
    elif ((s < 8192)); then v=$((0x8000 | s))
    else v=$((0xc000 | (s / 16))); fi
    printf '%02x%02x' $((v & 255)) $((v >> 8))
}
malloc() { printf '00%02x%s%02x' "$1" "$(size "$2")" "${3:-$((0x40 + $1))}"; }
calloc() { printf '01%02x%02x%s%02x' "$1" "$2" "$(size "$3")" "${4:-$((0x80 + $1))}"; }
aligned() { printf '02%02x%02x%s%02x' "$1" "$2" "$(size "$3")" "${4:-$((0xc0 + $1))}"; }
free() { printf '03%02x' "$1"; }
realloc() { printf '04%02x%s%02x' "$1" "$(size "$2")" "${3:-$((0x20 + $1))}"; }
usable() { printf '05%02x' "$1"; }
bad() { printf '06%02x%02x%02x%02x' "$1" "$2" $(($3 & 255)) $(($3 >> 8)); } # kind via arg
overflow() { printf '07%02x%02x%02x%02x' "$1" "$2" "$3" "$4"; }       # slot mode byte target
huge() { printf '08%02x%02x%02x%02x' "$1" "$2" $(($3 & 255)) $(($3 >> 8)); } # kind pick arg
policy() { printf '09%02x' "$1"; }
coalescing() { printf '0a%02x' "$1"; }
limit() { printf '0b%02x%02x' $(($1 & 255)) $(($1 >> 8)); } # 256-byte steps; 0: none
reset() { printf '0c'; }
intact() { printf '0d'; }

seed() { # name, then operations
    local name=$1 hex
    shift
    hex=$(printf '%s' "$@")
    printf "$(sed 's/../\\x&/g' <<<"$hex")" >"corpus/$name"
}

for p in 0 1 2 3; do
    seed "holes-policy$p" "$(policy $p)" "$(malloc 0 24)" "$(malloc 1 200)" "$(malloc 2 24)" \
        "$(malloc 3 600)" "$(malloc 4 24)" "$(free 1)" "$(free 3)" "$(malloc 5 100)" \
        "$(malloc 6 500)" "$(malloc 7 40)" "$(free 0)" "$(free 2)" "$(free 4)" "$(intact)"
    seed "deferred-policy$p" "$(policy $p)" "$(coalescing 1)" "$(malloc 0 48)" "$(malloc 1 48)" \
        "$(malloc 2 48)" "$(malloc 3 48)" "$(free 1)" "$(free 2)" "$(malloc 4 90)" \
        "$(free 0)" "$(free 3)" "$(malloc 5 4000)" "$(coalescing 0)" "$(free 4)"
done
seed realloc "$(malloc 0 100)" "$(malloc 1 100)" "$(realloc 0 40)" "$(realloc 0 160)" \
    "$(realloc 1 3000)" "$(realloc 0 5000)" "$(free 1)" "$(realloc 0 20000)" "$(realloc 2 30)" \
    "$(realloc 0 0)" "$(usable 0)"
seed calloc "$(calloc 0 3 100)" "$(calloc 1 15 7000)" "$(free 0)" "$(calloc 2 0 50)" \
    "$(calloc 3 1 0)" "$(realloc 1 100)"
seed aligned "$(aligned 0 5 20)" "$(aligned 1 8 300)" "$(aligned 2 12 10)" "$(aligned 3 16 100)" \
    "$(aligned 4 3 1)" "$(free 1)" "$(aligned 5 10 2000)" "$(free 0)" "$(free 3)"
seed next-fit-rover "$(policy 1)" "$(malloc 0 30)" "$(malloc 1 30)" "$(malloc 2 30)" \
    "$(free 0)" "$(free 1)" "$(malloc 3 10)" "$(malloc 4 10)" "$(malloc 5 10)" "$(free 4)" \
    "$(policy 3)" "$(malloc 6 10)" "$(policy 2)" "$(malloc 7 10)"
# Bad pointers: below, past the end, misaligned, into a payload, at and inside a free chunk,
# stale, freed twice; each through free, realloc and usable_size.
for via in 0 1 2; do
    seed "bad-via$via" "$(malloc 0 100)" "$(malloc 1 300)" "$(malloc 2 100)" "$(free 1)" \
        "$(bad 0 $via 3)" "$(bad 1 $via 5)" "$(bad 2 $via 0x0207)" "$(bad 3 $via 0x0300)" \
        "$(bad 4 $via 0)" "$(bad 5 $via 0x0101)" "$(bad 6 $via 0)" "$(bad 7 $via 2)" \
        "$(bad 7 $via 0)"
done
seed double-free-merged "$(malloc 0 60)" "$(malloc 1 60)" "$(malloc 2 60)" "$(malloc 3 60)" \
    "$(free 0)" "$(bad 7 0 1)" "$(free 3)" "$(bad 7 0 2)" "$(bad 6 0 0)" "$(bad 6 1 1)"
seed double-free-deferred "$(coalescing 1)" "$(malloc 0 60)" "$(malloc 1 60)" "$(malloc 2 60)" \
    "$(free 0)" "$(bad 7 0 1)" "$(bad 6 2 0)" "$(coalescing 0)" "$(bad 6 0 1)"
# Overflows: a NUL byte, a word of one byte, a cleared PREV_USED bit, a faked free predecessor or
# a cleared used bit over the next head (used, free, the end tag), then freeing the victim or the
# overflowing chunk.
seed overflow-used "$(malloc 0 60)" "$(malloc 1 28)" "$(malloc 2 28)" "$(overflow 0 0 0 0)" \
    "$(overflow 0 0 0 1)" "$(overflow 0 1 0x33 2)" "$(overflow 0 1 0xff 3)" \
    "$(overflow 0 1 0x00 4)" "$(overflow 0 1 0x41 5)"
seed overflow-free "$(malloc 0 60)" "$(malloc 1 28)" "$(malloc 2 28)" "$(free 1)" \
    "$(overflow 0 0 0 0)" "$(overflow 0 1 0x62 0)" "$(overflow 0 1 0x01 2)"
seed overflow-big "$(policy 0)" "$(malloc 0 60)" "$(malloc 1 300)" "$(malloc 2 28)" \
    "$(overflow 0 0 0 0)" "$(overflow 0 0 0 1)" "$(overflow 0 2 0 0)" "$(overflow 0 2 0 1)" \
    "$(overflow 0 3 0 2)" "$(overflow 0 3 0 3)" "$(free 1)" "$(overflow 0 2 0 4)" \
    "$(overflow 0 0 0 0)"
seed overflow-prev "$(policy 0)" "$(malloc 0 60)" "$(malloc 1 28)" "$(overflow 0 2 0 0)" \
    "$(overflow 0 2 0 1)" "$(overflow 0 3 0 0)" "$(overflow 0 3 0 5)" "$(free 1)" \
    "$(overflow 0 2 0 0)" "$(overflow 0 3 0 2)"
seed overflow-used-bit "$(policy 0)" "$(malloc 0 60)" "$(malloc 1 28)" "$(malloc 2 28)" \
    "$(overflow 0 4 0 0)" "$(overflow 0 4 0 1)" "$(overflow 1 4 0 2)" "$(overflow 1 4 0 3)" \
    "$(overflow 2 4 0 0)" "$(free 1)" "$(overflow 0 4 0 0)"
seed overflow-end "$(malloc 0 60)" "$(overflow 0 1 0x33 0)" "$(overflow 0 1 0x03 2)" \
    "$(overflow 0 0 0 4)" "$(overflow 0 1 0x13 1)"
# Sizes: near SIZE_MAX and 4 GiB, calloc products that overflow, bad alignments, huge realloc.
seed huge "$(malloc 0 100)" "$(huge 0 0 0)" "$(huge 0 3 0)" "$(huge 0 0x85 7)" "$(huge 0 8 0)" \
    "$(huge 0 9 0)" "$(huge 1 1 5)" "$(huge 1 0 3)" "$(huge 2 0 0)" "$(huge 2 1 24)" \
    "$(huge 2 2 1)" "$(huge 2 3 0)" "$(huge 3 0 0)" "$(huge 3 8 0)" "$(huge 3 0x86 9)" \
    "$(huge 4 0 0)" "$(huge 4 7 3)" "$(huge 4 8 11)" "$(huge 4 9 5)" "$(huge 4 0x83 2)"
seed huge-deferred "$(coalescing 1)" "$(malloc 0 100)" "$(malloc 1 100)" "$(malloc 2 100)" \
    "$(free 0)" "$(free 1)" "$(huge 3 8 2)" "$(huge 0 9 0)"
# Out of memory: a cap, filled until allocation fails, then freed back to one chunk.
fill=""
for s in $(seq 0 40); do fill+="$(malloc $s 3000)"; done
drain=""
for s in $(seq 0 2 40) $(seq 1 2 40); do drain+="$(free $s)"; done
seed oom-limit "$(limit 256)" "$fill" "$(realloc 3 20000)" "$(intact)" "$drain"
seed oom-limit-deferred "$(coalescing 1)" "$(limit 200)" "$fill" "$drain" "$(coalescing 0)"
big=""
for s in $(seq 0 39); do big+="$(malloc $s 250000)"; done # 10 MB: more than the 8 MiB arena
seed oom-arena "$big" "$(realloc 5 260000)" "$(intact)" "$drain" "$(reset)" "$(malloc 0 100)"
seed policy-switches "$(malloc 0 50)" "$(malloc 1 50)" "$(free 0)" "$(policy 0)" \
    "$(malloc 2 20)" "$(policy 1)" "$(free 1)" "$(policy 2)" "$(malloc 3 70)" "$(policy 3)" \
    "$(coalescing 1)" "$(free 2)" "$(free 3)" "$(policy 0)" "$(coalescing 0)"
ls corpus | wc -l
