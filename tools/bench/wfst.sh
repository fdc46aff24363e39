#!/usr/bin/env bash
# Usage: bash tools/bench/wfst.sh [--utterances 64] [--graph-dir DIR]
#
# The WFST decoder's numbers (issue 7): frames/s of `svod decode --graph` on a 1.44M-arc TLG built with OpenFst
# (tools/bench/ctc-graph.sh: 10k-word bigram o lexicon o CTC topology) over random-but-peaked CTC log-probs
# (tools/bench/ctc_logprobs.py), at batch 1, 16 and 64 with beam 13 and max-active 7000; active states and tokens
# per frame; bytes of channel state. In the same run, side by side, the reference: Kaldi's default settings
# (beam 15, max-active 10000). Every row has its word error rate against the words the log-probs spell. One
# thread throughout (the decoder's calls are single-threaded, as a lane pool's are).
set -euo pipefail
cd "$(dirname "$0")/../.."

utterances=64
graph=
while [ $# -gt 0 ]; do
  case $1 in
    --utterances) utterances=$2; shift 2 ;;
    --graph-dir) graph=$2; shift 2 ;;
    -h | --help) sed -n '2p' "$0" | cut -c3-; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$graph" ]; then
  graph=$work/graph
  echo "== building the graph (tools/bench/ctc-graph.sh)"
  bash tools/bench/ctc-graph.sh "$graph" | tail -6
fi
echo "== log-probs"
/usr/bin/python3 tools/bench/ctc_logprobs.py "$graph" "$work/lp" --utterances "$utterances"

echo "== building svod (Release)"
dotnet build src/Svod.Cluster -c Release --nologo -v q 2>&1 | grep -E "error|Warn" || true
svod=src/Svod.Cluster/bin/Release/net10.0/svod

run() { # run NAME ARGS...: decode, keep the JSON lines and the summary
  local name=$1
  shift
  "$svod" decode --log-probs --frames "$work/lp" --json "$@" >"$work/$name.jsonl" 2>"$work/$name.summary"
}
echo "== decoding"
for b in 1 16 64; do
  run "b$b" --graph "$graph/TLG.fst" --beam 13 --max-active 7000 --batch "$b"
done
run kaldi --graph "$graph/TLG.fst" --beam 15 --max-active 10000 --batch 64

/usr/bin/python3 - "$work" "$graph" <<'PY'
import json, os, sys
work, graph = sys.argv[1], sys.argv[2]

def edits(a, b):
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]

ref = {}
with open(os.path.join(work, "lp", "ref.jsonl")) as f:
    for line in f:
        r = json.loads(line)
        ref[r["utterance"]] = r["words"]

print(f"{'run':<34}{'frames/s':>10}{'states/fr':>11}{'tokens/fr':>11}{'B/frame':>9}{'frontier B':>11}{'WER %':>8}")
for name, label in [("b1", "beam 13, max-active 7000, batch 1"), ("b16", "beam 13, max-active 7000, batch 16"),
                    ("b64", "beam 13, max-active 7000, batch 64"), ("kaldi", "beam 15, max-active 10000 (Kaldi)")]:
    summary = json.loads(open(os.path.join(work, name + ".summary")).read().strip().splitlines()[-1])
    errors = words = 0
    for line in open(os.path.join(work, name + ".jsonl")):
        hyp = json.loads(line)
        errors += edits(ref[hyp["utterance"]], hyp["tokens"])
        words += len(ref[hyp["utterance"]])
    print(f"{label:<34}{summary['frames_per_s']:>10,.0f}{summary['states_per_frame']:>11,.1f}"
          f"{summary['tokens_per_frame']:>11,.1f}{summary['channel_bytes_per_frame']:>9,.0f}"
          f"{summary['frontier_bytes']:>11,}{100 * errors / words:>8.2f}")
print(f"{summary['frames']:,} frames in {len(ref)} utterances; B/frame: channel history bytes per frame decoded; "
      "frontier B: largest post-prune queue (state, cost)")
PY
