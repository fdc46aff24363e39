#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine, then runs every test project.
#   PyTorch reference (GigaAM greedy decoding): python3-torch, python3-numpy, python3-sentencepiece
#   SentencePiece tools (tokenizer tests):      sentencepiece (spm_train, spm_encode, spm_decode)
#   Cluster tests (a private server per fixture): postgresql (initdb, pg_ctl from /usr/lib/postgresql/*/bin)
#   WFST tests (OpenFst is the oracle):          libfst-tools (fstcompile, fstprint, fstshortestpath, ...)
# Usage: bash scripts/test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3-torch python3-numpy python3-sentencepiece sentencepiece postgresql libfst-tools)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v dotnet >/dev/null; then
  echo "dotnet (SDK 10) is required: https://dotnet.microsoft.com/download" >&2
  exit 1
fi

echo "== dotnet test (Release)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Svod.sln -c Release --nologo "$@" 2>&1 | tee "$log" || status=$?

# Each failed test with its message (the console log puts them above long captured output), then one plain
# summary line over every test assembly: "tests: N passed, N failed, N skipped".
failures=$(awk '/^  Failed [A-Za-z_]/ { print; show = 1; n = 0; next }
                /^  (Stack Trace|Standard Output Messages):/ { show = 0 }
                show && n++ < 20 { print }' "$log")
if [ -n "$failures" ]; then
  echo "== failed tests"
  echo "$failures"
fi
awk '/(Passed|Failed)! +- +Failed: /{
       for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1));
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"
