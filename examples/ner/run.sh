#!/usr/bin/env bash
# Spanish named-entity recognition on CoNLL-2002 (EFE news, 8,323 training sentences, 1,915 validation sentences
# in esp.testa; the test split esp.testb is held out and never touched): the memorize-the-training-tags baseline,
# then a small BERT built from scratch here (cased WordPiece tokenizer + random weights) fine-tuned with
# `lengua train --task token-classification`, both scored on esp.testa with conlleval's entity-level P/R/F1.
# See README.md next to this.
#
#   bash examples/ner/run.sh
#   EPOCHS=3 bash examples/ner/run.sh
#   MODEL=dccuchile/bert-base-spanish-wwm-cased EPOCHS=3 LR=5e-5 bash examples/ner/run.sh   # needs the Hub
#
# Environment knobs (defaults in brackets):
#   SHARED   folder holding data/conll2002-es                      [<repo>/../shared]
#   EPOCHS   fine-tuning epochs                                    [12]
#   LR       peak learning rate (AdamW, linear decay, 10 % warmup)  [1e-3; use ~5e-5 for a pretrained MODEL]
#   BATCH    training batch size                                   [32]
#   THREADS  libtorch CPU threads                                  [2]
#   MODEL    a model folder or Hub id to fine-tune instead of the from-scratch BERT — needs a machine that can reach the Hub
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel)"
SHARED="${SHARED:-$ROOT/../shared}"
DATA="$SHARED/data/conll2002-es"
EPOCHS="${EPOCHS:-12}"
LR="${LR:-1e-3}"
BATCH="${BATCH:-32}"
THREADS="${THREADS:-2}"
OUT="$HERE/out"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
[[ -f "$DATA/esp.train.utf8" ]] || { echo "missing $DATA (set SHARED=...)" >&2; exit 1; }

lengua() { node "$ROOT/bin/lengua.js" "$@"; }
mkdir -p "$OUT"

echo "== baseline: each word gets its most frequent training tag (unseen words and ties: O), repaired to IOB2"
node --import tsx "$HERE/baselines.ts" "$DATA/esp.train.utf8" "$DATA/esp.testa.utf8" | tee "$OUT/baselines.txt"

model="${MODEL:-}"
if [[ -z "$model" ]]; then
  model="$OUT/scratch-bert"
  if [[ ! -f "$model/config.json" ]]; then
    echo "== a from-scratch BERT token classifier with a cased WordPiece tokenizer trained on the training words"
    node --import tsx "$HERE/make-scratch-bert.ts" --out "$model" --data "$DATA/esp.train.utf8" \
      --vocab-size 8000 --layers 2 --hidden 128 --heads 2 --intermediate 512 --max-positions 512
  fi
fi

echo "== fine-tune $model for $EPOCHS epochs on esp.train, evaluating on esp.testa after each epoch"
t0=$SECONDS
# The .utf8 files have no CoNLL extension, hence --format conll (the originals are Latin-1; these are the UTF-8 copies).
lengua train --task token-classification --format conll --model "$model" \
  --train "$DATA/esp.train.utf8" --eval "$DATA/esp.testa.utf8" \
  --out "$OUT/model" --overwrite-output-dir --num-train-epochs "$EPOCHS" --learning-rate "$LR" --warmup-ratio 0.1 \
  --per-device-train-batch-size "$BATCH" --per-device-eval-batch-size 64 --max-length 512 \
  --eval-strategy epoch --save-strategy no --logging-steps 100 --threads "$THREADS"
echo "fine-tune: $((SECONDS - t0)) s" | tee "$OUT/timings.txt"

echo "== per-type scores of the fine-tuned model on esp.testa (from out/model/eval_predictions.jsonl)"
node --import tsx "$HERE/score-predictions.ts" "$OUT/model/eval_predictions.jsonl" | tee "$OUT/model-scores.txt"
