#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian 12 machine, then runs every test project.
#   PyTorch reference (GigaAM greedy decoding): python3-torch, python3-numpy, python3-sentencepiece
#   SentencePiece tools (tokenizer tests):      sentencepiece (spm_train, spm_encode, spm_decode)
# Usage: bash scripts/test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3-torch python3-numpy python3-sentencepiece sentencepiece)
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
dotnet test Svod.sln -c Release --nologo "$@"
