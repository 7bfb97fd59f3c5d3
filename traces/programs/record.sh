#!/bin/bash
# Records traces/programs/*.rep: each workload below runs once under a recorder that logs every
# heap call of one program, and that log becomes a malloc-lab trace. See traces/README.md.
#
#   TRACER=DIR bash traces/programs/record.sh [NAME ...]     # default: every workload
#
# DIR holds the recorder, which is not part of the repository: mtrace_shim.so, an LD_PRELOAD
# library that logs malloc, calloc, realloc, free and the aligned allocations of the programs
# named in TRACER_ONLY, and mtr2rep.py, which turns a log into a .rep (ids renumbered densely,
# realloc(NULL, n) a malloc, realloc(p, 0) a free, frees of blocks allocated before the
# recording began dropped). Inputs are base-files' licence texts or are generated here, and
# hashing is seeded, so the same Debian package versions give the same traces.
set -euo pipefail
: "${TRACER:?set TRACER to the directory holding mtrace_shim.so and mtr2rep.py}"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export LC_ALL=C

licences=/usr/share/common-licenses
cat $licences/{Apache-2.0,Artistic,BSD,CC0-1.0,GFDL-1.2,GFDL-1.3,GPL-1,GPL-2,GPL-3} \
    $licences/{LGPL-2,LGPL-2.1,LGPL-3,MPL-1.1,MPL-2.0} > licences.txt  # 237,320 bytes, 37,381 words
cat $licences/{GPL-2,GPL-3,LGPL-2.1,GFDL-1.3} > gnu.txt      # 102,726 bytes, 16,673 words

# ---- The workloads: the program a trace follows, and its input -------------------------------

cat > wordfreq.awk <<'EOF'
# Word and pair counts, then every pair seen more than twice and every word, most frequent first.
{
    $0 = tolower($0)
    gsub(/[^a-z]+/, " ")
    for (i = 1; i <= NF; i++) {
        words[$i]++
        if (prev != "") pairs[prev " " $i]++
        prev = $i
    }
}
END {
    n = asorti(pairs, keys)
    for (i = 1; i <= n; i++) if (pairs[keys[i]] > 2) print pairs[keys[i]], keys[i]
    PROCINFO["sorted_in"] = "@val_num_desc"
    for (w in words) print words[w], w
}
EOF

cat > concordance.pl <<'EOF'
# Every word's line numbers (a hash of arrays), the words most frequent first with their lines,
# then every line with its words reversed.
use strict; use warnings;
my (%lines, @text);
while (my $line = <>) {
    chomp $line;
    push @text, $line;
    push @{ $lines{lc $1} }, $. while $line =~ /([A-Za-z]+)/g;
}
for my $w (sort { @{ $lines{$b} } <=> @{ $lines{$a} } or $a cmp $b } keys %lines) {
    print "$w: ", join(',', @{ $lines{$w} }), "\n";
}
print join(' ', reverse split / /), "\n" for @text;
EOF

cat > index.py <<'EOF'
# An inverted index of the words (a dict of lists of tuples), through JSON and back, then the
# sentences sorted by their rarest word.
import collections, json, re, sys

text = open(sys.argv[1], encoding='utf-8').read()
sentences = [s.split() for s in re.split(r'[.;:]\s+', text) if s.strip()]
index = collections.defaultdict(list)
for n, words in enumerate(sentences):
    for pos, word in enumerate(words):
        index[word.lower().strip('(),"\'')].append((n, pos))
doc = json.loads(json.dumps({w: places for w, places in index.items()}))
rarity = {w: len(places) for w, places in doc.items()}
ranked = sorted(sentences, key=lambda ws: min(rarity[w.lower().strip('(),"\'')] for w in ws))
print(len(doc), sum(len(' '.join(ws)) for ws in ranked[:100]))
EOF

cat > words.sh <<'EOF'
# Word counts in an associative array, the long words in an indexed array, every line rebuilt
# by parameter expansion: how a bash script spends its memory.
declare -A count
declare -a longest
while read -r line; do
    line=${line,,}
    read -ra words <<< "${line//[^a-z]/ }"
    for w in "${words[@]}"; do
        count[$w]=$(( ${count[$w]:-0} + 1 ))
        (( ${#w} > 9 )) && longest+=("$w")
    done
done < "$1"
for w in "${!count[@]}"; do
    (( count[$w] > 20 )) && printf '%s %s\n' "${count[$w]}" "$w"
done
echo "${#longest[@]} long words, ${#count[@]} distinct"
EOF

echo 'scale=700; 4*a(1)' > pi.bc                             # pi to 700 digits by arctangent

# A dozen libc headers, then 12 structs and 12 functions over them: a C file for gcc -O2.
{
    printf '#include <%s>\n' stdio.h stdlib.h string.h math.h sys/stat.h sys/socket.h \
        netinet/in.h pthread.h signal.h time.h wchar.h locale.h
    for i in $(seq 1 12); do
        n=$((i % 7 + 1))
        cat <<EOF
struct s$i { int k; double v[$n]; struct s$i *next; };
double f$i(struct s$i *p, int n) {
    double acc = 0;
    for (int j = 0; j < n && p; j++, p = p->next) {
        switch ((p->k + j) % 5) {
        case 0: acc += sin(p->v[0]) * $i; break;
        case 1: acc -= p->v[j % $n] / (j + 1); break;
        case 2: acc *= 1.0 + strlen("$i") * 0.5; break;
        case 3: if (acc > $i) acc = sqrt(acc); break;
        default: acc += (double)rand() / RAND_MAX;
        }
    }
    return acc;
}
EOF
    done
} > structs.c

cat > modules.mk <<'EOF'
# 1500 generated sources in 60 modules, each compiled with its module's flags, then linked:
# pattern rules, computed variable names, $(eval) and $(foreach), printed by a dry run.
MODULES := $(shell seq 1 60)
SRCS := $(foreach m,$(MODULES),$(foreach f,$(shell seq 1 25),mod$(m)/file$(f).c))
OBJS := $(SRCS:.c=.o)
$(foreach m,$(MODULES),$(eval CFLAGS_mod$(m)/ := -Imod$(m) -DMOD=$(m)))
.PHONY: all
.SECONDARY:
all: prog
prog: $(OBJS) ; @echo link $(words $^) objects
%.o: %.c ; @echo cc $(CFLAGS_$(dir $<)) -c $< -o $@
%.c: ; @echo gen $@
EOF

cat > shop.sql <<'EOF'
-- A shop's customers and orders made by recursive CTEs, an index, a join with a group by, a
-- window function and group_concat, in an in-memory database.
CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT, city TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER, item TEXT, qty INTEGER, price REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO customer SELECT i, 'customer ' || i, 'city ' || (i * 7919 % 97) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
INSERT INTO orders SELECT i, i * 104729 % 2000 + 1, printf('item-%05d', i * 31 % 3000), i % 9 + 1,
  (i * 37 % 1000) / 10.0 FROM n;
CREATE INDEX orders_customer ON orders(customer);
SELECT city, count(*), sum(qty * price) FROM customer JOIN orders ON orders.customer = customer.id
  GROUP BY city ORDER BY 3 DESC LIMIT 5;
SELECT name, total, rank() OVER (ORDER BY total DESC) FROM
  (SELECT customer, sum(qty * price) AS total FROM orders GROUP BY customer) JOIN customer
  ON customer.id = customer LIMIT 5;
SELECT item, group_concat(customer, ',') FROM orders GROUP BY item ORDER BY item LIMIT 3;
EOF

# jq's input, one object a line, made by jq itself (not recorded): 629,346 bytes.
/usr/bin/jq -R -c '{line: ., words: [splits("[^A-Za-z]+") | select(length > 0) | ascii_downcase]}' \
    licences.txt > lines.json

# ---- Recording --------------------------------------------------------------------------------

# record NAME PROGRAM COMMAND...: runs COMMAND with only PROGRAM (the kernel's name for it)
# recorded, and converts its log into $here/NAME.rep.
record() {
    local name=$1 program=$2
    shift 2
    rm -rf "logs-$name"
    # The same environment and, without address randomisation, the same addresses each time:
    # string lengths and pointer hashing (cc1's) otherwise change a few requests and their order.
    env -i PATH=/usr/bin:/bin HOME=/nonexistent LC_ALL=C \
        TRACER_DIR="$work/logs-$name" TRACER_ONLY="$program" LD_PRELOAD="$TRACER/mtrace_shim.so" \
        setarch --addr-no-randomize "$@" > "out-$name.txt"
    local logs=("logs-$name"/*.mtr)
    [ ${#logs[@]} -eq 1 ] || { echo "record.sh: $name: ${#logs[@]} logs of $program" >&2; exit 1; }
    python3 "$TRACER/mtr2rep.py" "${logs[0]}" -o "$here/$name.rep"
}

names=("$@")
wanted() { [ ${#names[@]} -eq 0 ] || [[ " ${names[*]} " == *" $1 "* ]]; }

wanted bash && record bash bash /usr/bin/bash words.sh $licences/LGPL-3
wanted bc && record bc bc /usr/bin/bc -l pi.bc
wanted gawk && record gawk gawk /usr/bin/gawk -f wordfreq.awk gnu.txt
wanted gcc && record gcc cc1 /usr/bin/gcc -O2 -c structs.c -o structs.o
wanted jq && record jq jq /usr/bin/jq -s -c \
    'map(.words[]) | group_by(.) | map({word: .[0], n: length}) | sort_by(-.n) | .[:20]' lines.json
wanted make && record make make /usr/bin/make -r -n -f modules.mk
wanted perl && record perl perl \
    env PERL_HASH_SEED=0 PERL_PERTURB_KEYS=0 /usr/bin/perl concordance.pl licences.txt
wanted python3 && record python3 python3 \
    env PYTHONMALLOC=malloc PYTHONHASHSEED=0 /usr/bin/python3 -S index.py $licences/GPL-3
wanted sqlite3 && record sqlite3 sqlite3 /usr/bin/sqlite3 :memory: < shop.sql
true
