#!/usr/bin/env bash
# GPU check: Svod's CUDA decoder (`svod gpu-check`) next to the PyTorch eager batched greedy
# baseline (tools/reference/bench_torch.py --device cuda) on the same synthetic GigaAM models
# and frames, on the device machine. Run from anywhere in the repository:
#
#     bash tools/gpu/check.sh
#
# Needs: .publish/svod/svod (self-contained publish, see tools/gpu/README.md), nvidia-smi and a
# GPU, a python3 with torch (CUDA) and numpy (sentencepiece for the bpe set).
# Environment (all optional):
#   LANES=64,256,1024,4096   lane counts / batch sizes
#   BENCH_SECONDS=3          PyTorch seconds per point (after one warm-up batch)
#   UTTERANCES=64            utterances per reference set (frames are reused cyclically)
#   SETS="char bpe"          which make_reference.py presets
#   REF_ROOT=/tmp/svod-gpu-ref   where the reference sets go (not $OUT: too many files)
#   SVOD_TIMEOUT=180         seconds allowed to each `svod gpu-check` run
#   TORCH_TIMEOUT=150        seconds allowed to each bench_torch.py run
#   SVOD_ARGS=               extra `svod gpu-check` arguments, e.g. "--seconds 2"
#   PYTHON=python3           python with torch+CUDA (else python3, /usr/bin/python3 are tried)
# Output: the raw JSON lines and logs as they come, then a markdown table; with $OUT set, all
# JSON lines (each tagged "set") in $OUT/gpu-check.jsonl. Exit status 0 only when every step
# ran, svod's equivalence line says ok and the PyTorch --check passed.
set -uo pipefail

die() { echo "check.sh: ERROR: $*" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || die "cannot find the repository root"
cd "$ROOT" || die "cannot cd to $ROOT"

SVOD=.publish/svod/svod
LANES=${LANES:-64,256,1024,4096}
BENCH_SECONDS=${BENCH_SECONDS:-3}
UTTERANCES=${UTTERANCES:-64}
SETS=${SETS:-char bpe}
REF_ROOT=${REF_ROOT:-/tmp/svod-gpu-ref}
SVOD_TIMEOUT=${SVOD_TIMEOUT:-180}
TORCH_TIMEOUT=${TORCH_TIMEOUT:-150}
WORK=${OUT:-/tmp/svod-gpu-check}
START=$(date +%s)

# ---- preconditions -------------------------------------------------------------------------
# The publish is 110 MB, over the 64 MiB that travels to a GPU machine: it is carried compressed.
if [ ! -f "$SVOD" ] && [ -f .publish/svod.tar.xz ]; then
  echo "== unpacking .publish/svod.tar.xz"
  tar -C .publish -xJf .publish/svod.tar.xz || die "cannot unpack .publish/svod.tar.xz"
fi
[ -f "$SVOD" ] || die "$SVOD is missing. Publish it on the build machine with
  dotnet publish src/Svod.Cluster -c Release -r linux-x64 --self-contained -p:InvariantGlobalization=true -o .publish/svod
then tar -C .publish -cJf .publish/svod.tar.xz svod, and carry .publish/svod.tar.xz (see tools/gpu/README.md)."
[ -x "$SVOD" ] || chmod +x "$SVOD" 2>/dev/null
[ -x "$SVOD" ] || die "$SVOD is not executable"
command -v nvidia-smi >/dev/null 2>&1 || die "nvidia-smi not found: no NVIDIA GPU/driver visible on this machine"
echo "== nvidia-smi -L"
GPUS=$(nvidia-smi -L 2>&1) || die "nvidia-smi -L failed: $GPUS"
echo "$GPUS"
echo "$GPUS" | grep -q '^GPU [0-9]' || die "nvidia-smi lists no GPU"

PY=
for p in ${PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 &&
       "$p" -c 'import numpy, torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
        PY=$(command -v "$p"); break
    fi
done
[ -n "$PY" ] || die "no python3 with numpy and a CUDA-enabled torch (torch.cuda.is_available() is False or torch missing); set PYTHON="
"$PY" -c 'import torch; print(f"== torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name()}")'

mkdir -p "$WORK" "$REF_ROOT" || die "cannot create $WORK / $REF_ROOT"
RAW="$WORK/gpu-check.raw"       # "set<TAB>json" lines; turned into gpu-check.jsonl at the end
: > "$RAW"
FAIL=()

# spm_train (the bpe preset's tokenizer trainer) is a Debian binary; the device machine usually
# has only the sentencepiece Python module: give make_reference.py a stand-in on PATH.
if ! command -v spm_train >/dev/null 2>&1 || [ -n "${FORCE_SPM_SHIM:-}" ]; then
    if "$PY" -c 'import sentencepiece' >/dev/null 2>&1; then
        mkdir -p "$REF_ROOT/bin"
        cat > "$REF_ROOT/bin/spm_train" <<SHIM
#!$PY
# spm_train stand-in (tools/gpu/check.sh): --key=value flags -> SentencePieceTrainer.train
import sys
import sentencepiece as spm
kw = {}
for a in sys.argv[1:]:
    k, _, v = a.lstrip("-").partition("=")
    if k == "random_seed":  # a flag of the spm_train binary, not a TrainerSpec field
        if hasattr(spm, "set_random_generator_seed"):
            spm.set_random_generator_seed(int(v))
    elif k != "minloglevel":
        kw[k] = v
spm.SentencePieceTrainer.train(**kw)
SHIM
        chmod +x "$REF_ROOT/bin/spm_train"
        export PATH="$REF_ROOT/bin:$PATH"
        echo "== spm_train: using the sentencepiece Python module ($REF_ROOT/bin/spm_train)"
    fi
fi

# ---- per set: reference data, svod, PyTorch -----------------------------------------------
JOBS=$(( $(nproc 2>/dev/null || echo 2) / 2 )); [ "$JOBS" -ge 1 ] || JOBS=1; [ "$JOBS" -le 8 ] || JOBS=8
for SET in $SETS; do
    DIR=$REF_ROOT/$SET
    if [ -d ".publish/ref-$SET/model" ] && [ -d ".publish/ref-$SET/frames" ]; then
        DIR=.publish/ref-$SET
        echo "== $SET: using the carried reference set $DIR"
    elif [ -f "$DIR/expected.jsonl" ] && [ -d "$DIR/model" ]; then
        echo "== $SET: reusing $DIR"
    else
        echo "== $SET: make_reference.py --preset $SET --utterances $UTTERANCES -> $DIR"
        rm -rf "$DIR"
        if ! "$PY" tools/reference/make_reference.py --out "$DIR" --preset "$SET" \
                --utterances "$UTTERANCES" --jobs "$JOBS"; then
            FAIL+=("$SET: make_reference.py failed (bpe needs spm_train or the sentencepiece module)")
            continue
        fi
    fi

    echo "== $SET: svod gpu-check --lanes $LANES"
    SV_OUT="$WORK/svod-$SET.out"
    timeout "$SVOD_TIMEOUT" "$SVOD" gpu-check --model "$DIR/model" --frames "$DIR/frames" \
        --lanes "$LANES" --json ${SVOD_ARGS:-} > "$SV_OUT"
    rc=$?
    cat "$SV_OUT"
    grep '^[[:space:]]*{' "$SV_OUT" | sed "s/^/$SET\t/" >> "$RAW"
    [ $rc -eq 0 ] || FAIL+=("$SET: svod gpu-check exited $rc$([ $rc -eq 124 ] && echo " (timeout ${SVOD_TIMEOUT}s)")")

    echo "== $SET: bench_torch.py --device cuda --batches $LANES"
    PT_OUT="$WORK/torch-$SET.out"
    PYTHONUNBUFFERED=1 timeout "$TORCH_TIMEOUT" "$PY" tools/reference/bench_torch.py \
        --model "$DIR/model" --frames "$DIR/frames" --device cuda --batches "$LANES" \
        --seconds "$BENCH_SECONDS" --check --check-count 16 > "$PT_OUT"
    rc=$?
    cat "$PT_OUT"
    grep '^[[:space:]]*{' "$PT_OUT" | sed "s/^/$SET\t/" >> "$RAW"
    [ $rc -eq 0 ] || FAIL+=("$SET: bench_torch.py --device cuda exited $rc$([ $rc -eq 124 ] && echo " (timeout ${TORCH_TIMEOUT}s)")")
    echo "== elapsed $(( $(date +%s) - START )) s"
done

# ---- table ---------------------------------------------------------------------------------
echo
"$PY" - "$RAW" "${OUT:+$OUT/gpu-check.jsonl}" <<'PYEOF'
import json, sys
raw, out = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
rows = []
for line in open(raw, encoding="utf-8"):
    s, _, js = line.rstrip("\n").partition("\t")
    try:
        d = json.loads(js)
    except ValueError:
        continue
    if isinstance(d, dict):
        d["set"] = s
        rows.append(d)
if out:
    with open(out, "w", encoding="utf-8") as f:
        for d in rows:
            f.write(json.dumps(d) + "\n")

def is_equiv(d):
    return "ok" in d and ("equivalence" in d or "equivalence" in map(str, d.values()))

svod = {(d["set"], int(d["lanes"])): d for d in rows
        if d.get("impl") == "svod-cuda" and "lanes" in d and "frames_per_s" in d}
torch_ = {(d["set"], int(d["batch"])): d for d in rows
          if d.get("impl") == "pytorch" and "batch" in d and "frames_per_s" in d}
fmt = lambda v, p=0: "-" if v is None else f"{v:,.{p}f}"
print("| model | lanes | svod frames/s | svod RTFx (40 ms frames) | svod call ms "
      "| PyTorch frames/s | svod / PyTorch |")
print("|---|---:|---:|---:|---:|---:|---:|")
for key in sorted(set(svod) | set(torch_)):
    s, t = svod.get(key, {}), torch_.get(key, {})
    sf, tf = s.get("frames_per_s"), t.get("frames_per_s")
    name = key[0]
    ratio = f"{sf / tf:.2f}x" if sf and tf else "-"
    print(f"| {name} | {key[1]} | {fmt(sf)} | {fmt(sf * 0.040 if sf else None)} "
          f"| {fmt(s.get('call_ms'), 3)} | {fmt(tf)} | {ratio} |")
gpb = sorted({(d["set"], d["gpu_bytes_per_channel"]) for d in svod.values()
              if d.get("gpu_bytes_per_channel") is not None})
print()
for s, b in gpb:
    print(f"svod GPU bytes per channel ({s}): {b}")
eq = [d for d in rows if is_equiv(d)]
# svod prints one line per equivalence case and a summary {"equivalence":"all",...}: show the
# summaries and any failed case (all cases when there is no summary)
summ = {d["set"] for d in eq if d.get("equivalence") == "all"}
for d in eq:
    if d["set"] in summ and d.get("equivalence") != "all" and d["ok"] is True:
        continue
    print(f"svod equivalence ({d['set']}): {'ok' if d['ok'] is True else 'FAILED'} {json.dumps(d)}")
bad = [d for d in eq if d["ok"] is not True]
sets = sorted({d["set"] for d in rows})
missing = [s for s in sets if not any(d["set"] == s for d in eq)]
if out:
    print(f"\n{len(rows)} JSON lines -> {out}")
sys.exit(1 if bad or missing or not svod else 0)
PYEOF
rc=$?
[ $rc -eq 0 ] || FAIL+=("svod: no measurements, a missing equivalence line or equivalence not ok (see above)")

echo "== total $(( $(date +%s) - START )) s"
if [ ${#FAIL[@]} -gt 0 ]; then
    printf 'check.sh: FAILED: %s\n' "${FAIL[@]}" >&2
    exit 1
fi
echo "check.sh: all steps ran; svod equivalence ok; PyTorch check ok"
