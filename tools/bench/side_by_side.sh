#!/usr/bin/env bash
# svod's CPU AdvanceDecoding beside a PyTorch batched greedy decoder with GigaAM's semantics: the same random
# GigaAM-layout model (PyTorch init, blank bias tuned to ~0.5 tokens/frame) and the same frames, one thread each,
# in one run. Prints one table per preset and writes the raw JSON lines to $OUT_DIR.
# Usage: bash tools/bench/side_by_side.sh [--presets char,bpe] [--batches 1,16,64,256] [--seconds 3]
set -euo pipefail
cd "$(dirname "$0")/../.."

presets=char,bpe
batches=1,16,64,256
seconds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --presets) presets=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n 2,6p "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

PYTHON=/usr/bin/python3
OUT_DIR=${OUT_DIR:-/tmp/svod-side-by-side}
mkdir -p "$OUT_DIR"
"$PYTHON" -c "import torch, numpy" 2>/dev/null || {
  echo "needs Debian's python3-torch and python3-numpy (apt-get install python3-torch python3-numpy)" >&2; exit 1; }

echo "== building svod (Release)" >&2
dotnet build src/Svod.Cluster -c Release --nologo -v q >&2
SVOD="dotnet src/Svod.Cluster/bin/Release/net10.0/svod.dll"

for preset in ${presets//,/ }; do
  dir="$OUT_DIR/$preset"
  if [ ! -f "$dir/expected.jsonl" ]; then
    echo "== $preset: random GigaAM-layout model and 256 utterances of 128 frames (PyTorch)" >&2
    rm -rf "$dir"
    "$PYTHON" tools/reference/make_reference.py --out "$dir" --preset "$preset" --utterances 256 \
      --min-frames 128 --max-frames 128 --tokens-per-frame 0.5 --seed 5 >&2
  fi
  echo "== $preset: svod" >&2
  $SVOD bench --model "$dir/model" --frames "$dir/frames" --batch "$batches" --seconds "$seconds" --json \
    > "$dir/svod.jsonl"
  # Two PyTorch decoders, same algorithm and semantics (tools/reference/batched_greedy.py):
  #   blas    GigaAM's own modules (nn.LSTM, nn.Linear) batched; Debian's torch runs them on netlib BLAS.
  #   xnnpack the same, hand-tuned: XNNPACK prepacked GEMMs, per-token LSTM input table, hand-written cell.
  for gemm in blas xnnpack; do
    echo "== $preset: PyTorch ($gemm)" >&2
    "$PYTHON" tools/reference/bench_torch.py --model "$dir/model" --frames "$dir/frames" --batches "$batches" \
      --threads 1 --seconds "$seconds" --gemm "$gemm" --sgemm > "$dir/torch-$gemm.jsonl"
  done
  "$PYTHON" tools/bench/table.py --title "$preset" "$dir/svod.jsonl" "$dir/torch-blas.jsonl" \
    "$dir/torch-xnnpack.jsonl"
done
