#!/usr/bin/env bash
# Usage: bash tools/bench/ctc-graph.sh OUTDIR [--words 10000] [--successors 30] [--seed 1]
#
# Builds a synthetic but realistic CTC decoding graph TLG = T o det(L o G) for the WFST decoder benchmark,
# reproducibly for a given seed, with OpenFst's command-line tools; all files, intermediate ones too, go to OUTDIR.
#
#   tokens.txt  the 32 output tokens (Cyrillic letters), ids 0..31. The CTC blank is class 32, the last of C = 33
#               classes; it has no symbol.
#   words.txt   <eps> 0, words 1..N, #0 N+1 (the backoff disambiguation symbol; no arc of TLG carries it)
#   G.fst       word bigram LM with backoff (#0 on backoff arcs), L.fst the lexicon (token + 1 -> word)
#   LG.fst      determinized L o G, the disambiguation symbols relabelled to epsilon. Not minimized: Kaldi's
#               fstminimizeencoded removes nothing here, as determinization already shares the tail of each word's
#               spelling (it leads to the same G state from every history)
#   T.fst       compact CTC topology: input class + 1 (blank = 33), output token + 1; state 0 = after blank,
#               state k + 1 = after token k
#   TLG.fst     T o LG, input-arc-sorted VectorFst (tropical); TLG.const.fst the same as a ConstFst. Besides the
#               classes 1..33 its input labels include epsilon: G's backoff arcs and the ends of words spelled with #1
# Ends with a sanity check (a few words spelled as CTC frames must decode to their ids) and a summary.
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = --help ] || [ "$1" = -h ]; then
  sed -n '2p' "$0" | cut -c3-
  exit $([ $# -lt 1 ] && echo 2 || echo 0)
fi
out=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
seed=1
args=()
while [ $# -gt 0 ]; do
  case $1 in
    --words | --successors) args+=("$1" "$2"); shift 2 ;;
    --seed) seed=$2; args+=("$1" "$2"); shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in fstcompile fstarcsort fstcompose fstdeterminize fstrelabel fstconvert fstinfo fstshortestpath fstprint; do
  command -v "$tool" >/dev/null || { echo "$tool not found: apt-get install libfst-tools" >&2; exit 1; }
done
mkdir -p "$out"
cd "$out"

timings=()
since() { awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'; }
step() { # step NAME COMMAND...: runs and times one build step
  local name=$1 t0
  shift
  t0=$(date +%s.%N)
  "$@"
  timings+=("$name $(since "$t0")")
}
text() { /usr/bin/python3 "$here/ctc_graph.py" text . "${args[@]}"; }
compile() {
  fstcompile G.txt | fstarcsort --sort_type=ilabel > G.fst
  fstcompile L.txt | fstarcsort --sort_type=olabel > L.fst
  fstcompile T.txt | fstarcsort --sort_type=olabel > T.fst
}
lg() {
  fstcompose L.fst G.fst | fstdeterminize > LG.det.fst
  fstrelabel --relabel_ipairs=relabel.ipairs --relabel_opairs=relabel.opairs LG.det.fst |
    fstarcsort --sort_type=ilabel > LG.fst
}
# The ConstFst is for decoders that map the graph file; OpenFst's tools read either type without flags.
tlg() {
  fstcompose T.fst LG.fst | fstarcsort --sort_type=ilabel > TLG.fst
  fstconvert --fst_type=const TLG.fst TLG.const.fst
}
sanity() {
  /usr/bin/python3 "$here/ctc_graph.py" probe . --seed "$seed"
  fstcompile probe.txt | fstcompose - TLG.fst | fstshortestpath | fstprint > probe.out
  /usr/bin/python3 "$here/ctc_graph.py" check .
}

t_start=$(date +%s.%N)
step text text
step compile compile
step LG lg
step TLG tlg
step sanity sanity
total=$(since "$t_start")

echo
printf '%-4s %10s %10s\n' fst states arcs
for f in G L LG TLG; do
  info=$(fstinfo $f.fst)
  printf '%-4s %10s %10s\n' $f "$(awk '/^# of states/ {print $NF}' <<<"$info")" \
    "$(awk '/^# of arcs/ {print $NF}' <<<"$info")"
done
echo
for t in "${timings[@]}"; do printf '%-8s %7s s\n' $t; done
printf '%-8s %7s s\n' total "$total"
printf 'TLG.fst %s bytes, TLG.const.fst %s bytes\n' "$(stat -c %s TLG.fst)" "$(stat -c %s TLG.const.fst)"
