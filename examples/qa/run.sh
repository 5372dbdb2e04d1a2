#!/usr/bin/env bash
# Extractive question answering on XQuAD (English; LANG=es for Spanish), split by article: 834 training questions
# (33 articles), 118 validation questions (5 other articles; the 10 test articles are held out and never touched).
# First the no-training baseline (baseline.ts: best-overlap sentence, longest run of non-question words), then a
# small BERT built from scratch here (WordPiece tokenizer trained on the training paragraphs + random weights)
# fine-tuned with `lengua train --task question-answering`, both scored with SQuAD v1.1 EM/F1 on validation.
# See README.md next to this.
#
#   bash examples/qa/run.sh
#   LANG_CODE=es EPOCHS=5 bash examples/qa/run.sh
#   MODEL=deepset/roberta-base-squad2 EPOCHS=2 LR=3e-5 bash examples/qa/run.sh     # needs the Hub
#
# Environment knobs (defaults in brackets):
#   SHARED     folder holding data/xquad-en-es                     [<repo>/../shared]
#   LANG_CODE  en or es                                            [en]
#   EPOCHS     fine-tuning epochs                                  [3]
#   LR         peak learning rate (AdamW, linear decay, 10 % warmup) [1e-3; ~3e-5 for a pretrained MODEL]
#   BATCH      training batch size (windows)                       [16]
#   SEQ        --max-seq-length (tokens per window)                [256]
#   STRIDE     --doc-stride                                        [128]
#   THREADS    libtorch CPU threads                                [1]
#   MODEL      a QA-capable model folder or Hub id instead of the from-scratch BERT
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel)"
SHARED="${SHARED:-$ROOT/../shared}"
L="${LANG_CODE:-en}"
DATA="$SHARED/data/xquad-en-es"
EPOCHS="${EPOCHS:-3}"
LR="${LR:-1e-3}"
BATCH="${BATCH:-16}"
SEQ="${SEQ:-256}"
STRIDE="${STRIDE:-128}"
THREADS="${THREADS:-1}"
OUT="$HERE/out-$L"
# On a shared machine, spinning OpenMP threads waste the cores other jobs need.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
[[ -f "$DATA/train.$L.jsonl" ]] || { echo "missing $DATA/train.$L.jsonl (set SHARED=... or LANG_CODE=en|es)" >&2; exit 1; }

lengua() { node "$ROOT/bin/lengua.js" "$@"; }
mkdir -p "$OUT"

echo "== baseline (no training): best-overlap sentence, longest run of non-question words (at most 12)"
node --import tsx "$HERE/baseline.ts" "$DATA/validation.$L.jsonl" --out "$OUT/baseline-predictions.jsonl" | tee "$OUT/baseline.txt"

model="${MODEL:-}"
if [[ -z "$model" ]]; then
  model="$OUT/scratch-bert"
  if [[ ! -f "$model/config.json" ]]; then
    echo "== a from-scratch BERT QA model with an uncased WordPiece tokenizer trained on the training paragraphs and questions"
    node --import tsx "$HERE/make-scratch-bert.ts" --out "$model" --data "$DATA/train.$L.jsonl" \
      --vocab-size 8000 --layers 2 --hidden 128 --heads 2 --intermediate 512 --max-positions 512
  fi
fi

echo "== fine-tune $model for $EPOCHS epochs on train.$L, then evaluate on validation.$L"
t0=$SECONDS
lengua train --task question-answering --model "$model" \
  --train "$DATA/train.$L.jsonl" --eval "$DATA/validation.$L.jsonl" \
  --out "$OUT/model" --overwrite-output-dir --num-train-epochs "$EPOCHS" --learning-rate "$LR" --warmup-ratio 0.1 \
  --per-device-train-batch-size "$BATCH" --per-device-eval-batch-size 32 --group-by-length \
  --max-seq-length "$SEQ" --doc-stride "$STRIDE" --max-answer-length 30 \
  --eval-strategy no --save-strategy no --logging-steps 10 --threads "$THREADS"
echo "fine-tune + evaluation: $((SECONDS - t0)) s" | tee "$OUT/timings.txt"

echo "== the same model scored by lengua evaluate (predictions.jsonl: id, question, prediction, answers, em, f1)"
lengua evaluate --model "$OUT/model" --data "$DATA/validation.$L.jsonl" --out "$OUT/model/eval-validation" \
  --max-seq-length "$SEQ" --doc-stride "$STRIDE" --threads "$THREADS" | tee "$OUT/evaluate.txt"
