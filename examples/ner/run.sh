#!/usr/bin/env bash
# Named-entity recognition with the memorize-the-training-tags baseline and a small BERT built from scratch here
# (cased WordPiece tokenizer + random weights) fine-tuned with `lengua train --task token-classification`, both
# scored on the VALIDATION split with conlleval's entity-level P/R/F1; the test split is held out and never touched.
#   es (default): Spanish news, CoNLL-2002 (8,323 training sentences; validation esp.testa; test esp.testb untouched)
#   en:           English tweets and forum posts, WNUT-17 (3,394 training sentences; validation emerging.dev;
#                 test emerging.test untouched)
# See README.md next to this.
#
#   bash examples/ner/run.sh                # Spanish, outputs in examples/ner/out/
#   bash examples/ner/run.sh en             # English, outputs in examples/ner/out-en/
#   EPOCHS=3 bash examples/ner/run.sh
#   MODEL=dccuchile/bert-base-spanish-wwm-cased EPOCHS=3 LR=5e-5 bash examples/ner/run.sh   # needs the Hub
#
# Environment knobs (defaults in brackets):
#   SHARED   folder holding data/conll2002-es and data/wnut17-en   [<repo>/../shared]
#   EPOCHS   fine-tuning epochs                                    [12]
#   LR       peak learning rate (AdamW, linear decay, 10 % warmup)  [1e-3; use ~5e-5 for a pretrained MODEL]
#   BATCH    training batch size                                   [32]
#   THREADS  libtorch CPU threads                                  [2]
#   MODEL    a model folder or Hub id to fine-tune instead of the from-scratch BERT — needs a machine that can reach the Hub
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel)"
SHARED="${SHARED:-$ROOT/../shared}"
lang="${1:-es}"
case "$lang" in
  # The Spanish .utf8 files are UTF-8 copies of the Latin-1 originals.
  es) DATA="$SHARED/data/conll2002-es"; TRAIN="$DATA/esp.train.utf8"; VALID="$DATA/esp.testa.utf8"; OUT="$HERE/out" ;;
  en) DATA="$SHARED/data/wnut17-en"; TRAIN="$DATA/wnut17train.conll"; VALID="$DATA/emerging.dev.conll"; OUT="$HERE/out-en" ;;
  *) echo "usage: run.sh [es|en]" >&2; exit 1 ;;
esac
EPOCHS="${EPOCHS:-12}"
LR="${LR:-1e-3}"
BATCH="${BATCH:-32}"
THREADS="${THREADS:-2}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
[[ -f "$TRAIN" ]] || { echo "missing $TRAIN (set SHARED=...)" >&2; exit 1; }

lengua() { node "$ROOT/bin/lengua.js" "$@"; }
mkdir -p "$OUT"

echo "== baseline: each word gets its most frequent training tag (unseen words and ties: O), repaired to IOB2"
node --import tsx "$HERE/baselines.ts" "$TRAIN" "$VALID" | tee "$OUT/baselines.txt"

model="${MODEL:-}"
if [[ -z "$model" ]]; then
  model="$OUT/scratch-bert"
  if [[ ! -f "$model/config.json" ]]; then
    echo "== a from-scratch BERT token classifier with a cased WordPiece tokenizer trained on the training words"
    node --import tsx "$HERE/make-scratch-bert.ts" --out "$model" --data "$TRAIN" \
      --vocab-size 8000 --layers 2 --hidden 128 --heads 2 --intermediate 512 --max-positions 512
  fi
fi

echo "== fine-tune $model for $EPOCHS epochs on $(basename "$TRAIN"), evaluating on $(basename "$VALID") after each epoch"
t0=$SECONDS
# The Spanish .utf8 files have no CoNLL extension, hence --format conll.
lengua train --task token-classification --format conll --model "$model" \
  --train "$TRAIN" --eval "$VALID" \
  --out "$OUT/model" --overwrite-output-dir --num-train-epochs "$EPOCHS" --learning-rate "$LR" --warmup-ratio 0.1 \
  --per-device-train-batch-size "$BATCH" --per-device-eval-batch-size 64 --max-length 512 \
  --eval-strategy epoch --save-strategy no --logging-steps 100 --threads "$THREADS"
echo "fine-tune: $((SECONDS - t0)) s" | tee "$OUT/timings.txt"

echo "== per-type scores of the fine-tuned model on $(basename "$VALID") (from $OUT/model/eval_predictions.jsonl)"
node --import tsx "$HERE/score-predictions.ts" "$OUT/model/eval_predictions.jsonl" | tee "$OUT/model-scores.txt"

echo "== the saved model scored again by lengua evaluate on $(basename "$VALID"): the same figures, plus metrics.json, predictions.jsonl (entities with character offsets) and report.html"
# --split validation: the file names alone would not say it for every file; the test split is never given here.
lengua evaluate --model "$OUT/model" --data "$VALID" --format conll --split validation --threads "$THREADS" --out "$OUT/model/eval-validation"
