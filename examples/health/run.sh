#!/usr/bin/env bash
# Clinical-note NER (DRUG, DOSE, CONDITION, SYMPTOM; IOB2; English and some Spanish) on synthetic sentences written
# for this example: the memorize-the-training-tags baseline (examples/ner/baselines.ts), then a small BERT built
# from scratch (examples/ner/make-scratch-bert.ts: cased WordPiece trained on the training words + random weights)
# fine-tuned with `lengua train --task token-classification`, both scored on data/validation.conll.
# See README.md next to this.
#
#   bash examples/health/run.sh
#   EPOCHS=10 bash examples/health/run.sh
#
# Knobs (defaults in brackets): EPOCHS [20], LR [1e-3], BATCH [16], THREADS [2]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel)"
EPOCHS="${EPOCHS:-20}"
LR="${LR:-1e-3}"
BATCH="${BATCH:-16}"
THREADS="${THREADS:-2}"
DATA="$HERE/data"
OUT="$HERE/out"
# Passive OpenMP waiting: spinning threads slow everything down on a shared machine (see examples/tweet-sentiment).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
[[ -f "$DATA/train.conll" && -f "$DATA/validation.conll" ]] || { echo "missing $DATA/{train,validation}.conll (run make-data.ts)" >&2; exit 1; }
tsx() { nice -n 10 node --import tsx "$@"; }

rm -rf "$OUT"
mkdir -p "$OUT"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/load.txt"

echo "== baseline: each word gets its most frequent training tag (unseen words and ties: O), repaired to IOB2"
tsx "$ROOT/examples/ner/baselines.ts" "$DATA/train.conll" "$DATA/validation.conll" | tee "$OUT/baseline.txt"

echo "== a from-scratch BERT token classifier with a cased WordPiece tokenizer trained on the training words"
tsx "$ROOT/examples/ner/make-scratch-bert.ts" --out "$OUT/scratch-bert" --data "$DATA/train.conll" \
  --vocab-size 2000 --layers 2 --hidden 128 --heads 2 --intermediate 512 --max-positions 128

echo "== fine-tune for $EPOCHS epochs on train.conll, evaluating on validation.conll after each epoch (the curve only)"
t0=$SECONDS
nice -n 10 node "$ROOT/bin/lengua.js" train --task token-classification --model "$OUT/scratch-bert" \
  --train "$DATA/train.conll" --eval "$DATA/validation.conll" --out "$OUT/model" \
  --num-train-epochs "$EPOCHS" --learning-rate "$LR" --warmup-ratio 0.1 --weight-decay 0.01 \
  --per-device-train-batch-size "$BATCH" --per-device-eval-batch-size 64 --max-length 128 \
  --eval-strategy epoch --save-strategy no --logging-steps 50 --seed 42 --threads "$THREADS"
echo "fine-tune: $((SECONDS - t0)) s" | tee "$OUT/timings.txt"

echo "== the saved model scored by lengua evaluate (metrics.json, predictions.jsonl, report.html)"
nice -n 10 node "$ROOT/bin/lengua.js" evaluate --model "$OUT/model" --data "$DATA/validation.conll" --split validation \
  --out "$OUT/model/eval-validation" --title "Clinical-note NER: 2-layer BERT trained from scratch (validation)"

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
tsx "$HERE/compare.ts" "$DATA/train.conll" "$DATA/validation.conll" "$OUT/model/eval_predictions.jsonl" | tee "$OUT/table.md"
