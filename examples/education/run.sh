#!/usr/bin/env bash
# Short-answer grading as text-pair classification (reference answer + student answer -> correct / partial /
# incorrect): TF-IDF baseline (the pair joined into one text) vs a small BERT trained from scratch on the pair
# ([CLS] reference [SEP] answer [SEP]), trained on data/train.jsonl and scored on data/validation.jsonl. The steps
# are examples/finance/run-case.sh's. See README.md next to this.
#
#   bash examples/education/run.sh
#   EPOCHS=10 bash examples/education/run.sh
#
# Knobs: EPOCHS [20], LR [1e-3], VOCAB_SIZE [2000], MAX_LENGTH [128], THREADS [2] (see ../finance/run-case.sh).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CASE_DIR="$HERE" CASE_TITLE="Short-answer grading" LABELS=correct,incorrect,partial \
  TEXT_COLUMN=reference PAIR_COLUMN=answer MAX_LENGTH="${MAX_LENGTH:-128}" bash "$HERE/../finance/run-case.sh"
echo
echo "right / total per kind of answer (validation):"
nice -n 10 node --import tsx "$HERE/by-kind.ts" "$HERE/data/validation.jsonl" \
  "TF-IDF=$HERE/out/baseline/eval-validation/predictions.jsonl" "BERT=$HERE/out/model/eval-validation/predictions.jsonl" \
  | tee "$HERE/out/by-kind.md"
