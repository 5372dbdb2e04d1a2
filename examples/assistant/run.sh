#!/usr/bin/env bash
# The document assistant on the small product folder in docs/ (English and Spanish FAQ, a shipping text, JSONL
# release notes), then measured on XQuAD. BM25 needs no model, so this runs offline as it is; any model you
# trained or downloaded plugs in through the environment. See README.md next to this.
#
#   bash examples/assistant/run.sh
#   QA=runs/qa-onnx bash examples/assistant/run.sh              # an extractive QA model answers (export or training folder)
#   ENCODER=runs/encoder bash examples/assistant/run.sh         # dense retrieval fused with BM25
#   GENERATOR=runs/t5 bash examples/assistant/run.sh            # a text2text model writes the answer
#
# Environment knobs: QA, ENCODER, GENERATOR (model folders), TOPK [3], SHARED [<repo>/../shared] for XQuAD.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel)"
SHARED="${SHARED:-$ROOT/../shared}"
lengua() { node "$ROOT/bin/lengua.js" "$@"; }

models=()
[[ -n "${QA:-}" ]] && models+=(--qa "$QA")
[[ -n "${ENCODER:-}" ]] && models+=(--encoder "$ENCODER")
[[ -n "${GENERATOR:-}" ]] && models+=(--generator "$GENERATOR")

echo "== two questions on the command line"
lengua assist --docs "$HERE/docs" ${models[@]+"${models[@]}"} --top-k "${TOPK:-3}" \
  --question "How do I reset the lamp?" "¿Cuánto dura la garantía?"

echo "== questions.txt on stdin, one per line (at a terminal, the same loop is interactive)"
lengua assist --docs "$HERE/docs" ${models[@]+"${models[@]}"} --top-k "${TOPK:-3}" < "$HERE/questions.txt"

echo "== the same as JSON lines: answer, score, citation (file, lines, offsets, passage) and the retrieved passages"
lengua assist --docs "$HERE/docs" ${models[@]+"${models[@]}"} --json --question "Is shipping free?" | head -c 600
echo " …"

if [[ -d "$SHARED/data/xquad-en-es" ]]; then
  echo "== XQuAD en/es (train + validation articles): retrieval and the sentence reader, BM25 only"
  node --import tsx "$HERE/xquad.ts" "$SHARED"
else
  echo "(no $SHARED/data/xquad-en-es: XQuAD measurement skipped; set SHARED=...)"
fi
