#!/usr/bin/env bash
# Installs what Lengua needs on a fresh Debian machine, then the npm packages and the native addon.
# Idempotent: packages already present are not reinstalled. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

# libtorch (training engine) and OpenBLAS: without OpenBLAS, Debian's libtorch uses the reference
# BLAS and trains ~30x slower (DESIGN.md). python3-torch and python3-sklearn are the references that
# benchmarks and the metric-reference script compare against.
# libblas3 (the reference BLAS) is only there so a test can prove the slow-BLAS setup fails loudly;
# update-alternatives keeps libblas.so.3 on OpenBLAS (priority 100 against 10).
packages=(libtorch-dev libopenblas0-pthread libblas3 g++ make python3)
if [[ "${LENGUA_SETUP_REFERENCES:-0}" == "1" ]]; then packages+=(python3-torch python3-sklearn); fi
# python3-onnx: Debian's ONNX checker (onnx.checker), an independent check of the files `lengua export`
# writes; its test skips without it. CI installs it (.ci/run sets LENGUA_SETUP_TEST_TOOLS=1), as do the references.
if [[ "${LENGUA_SETUP_REFERENCES:-0}" == "1" || "${LENGUA_SETUP_TEST_TOOLS:-0}" == "1" ]]; then packages+=(python3-onnx python3-sentencepiece); fi
# python3-torch is a test tool too: BART and Marian have no golden, so their tests compare them with a float64
# restatement in PyTorch (scripts/seq2seq-references.py) and skip without it.
if [[ "${LENGUA_SETUP_TEST_TOOLS:-0}" == "1" && "${LENGUA_SETUP_REFERENCES:-0}" != "1" ]]; then packages+=(python3-torch); fi
# curl: the Spanish guide's deployment step queries the server with curl, as its reader would, and its test runs it.
if [[ "${LENGUA_SETUP_TEST_TOOLS:-0}" == "1" ]]; then packages+=(curl); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# onnxruntime-node's install script would fetch a CUDA build from outside npm; the CPU build ships inside.
export ONNXRUNTIME_NODE_INSTALL=skip
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
if [[ -f native/binding.gyp ]]; then npm run --silent build:native; fi
