#!/usr/bin/env bash
# English ↔ Spanish translation on NTREX-128 (news, 1,404 training pairs, 197 validation pairs, split by
# document): a small T5 built from scratch here (tokenizer + random weights), fine-tuned in each direction with
# `lengua train --task translation`, scored on validation with sacreBLEU's BLEU and chrF next to the copy-the-source
# baseline, then one sentence through `lengua generate`. See README.md next to this.
#
#   bash examples/translation/run.sh                 # both directions
#   DIRECTIONS=en-es EPOCHS=5 bash examples/translation/run.sh
#
# Environment knobs (defaults in brackets):
#   SHARED      folder holding data/ntrex128-en-es      [<repo>/../shared]
#   DIRECTIONS  directions to train                     ["en-es es-en"]
#   EPOCHS      epochs per direction                    [30]
#   THREADS     libtorch CPU threads                    [2]
#   MODEL       a model folder or Hub id to fine-tune instead of the from-scratch T5 (e.g. Helsinki-NLP/opus-mt-en-es
#               for en-es only, or t5-small with PREFIX set) — needs a machine that can reach the Hub
#   PREFIX      source prefix, e.g. "translate English to Spanish: " for t5-small  [none]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel)"
SHARED="${SHARED:-$ROOT/../shared}"
DATA="$SHARED/data/ntrex128-en-es"
DIRECTIONS="${DIRECTIONS:-en-es es-en}"
EPOCHS="${EPOCHS:-30}"
THREADS="${THREADS:-2}"
OUT="$HERE/out"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
[[ -f "$DATA/train.jsonl" ]] || { echo "missing $DATA (set SHARED=...)" >&2; exit 1; }

lengua() { node "$ROOT/bin/lengua.js" "$@"; }
mkdir -p "$OUT"

echo "== baseline: copy the source"
node --import tsx "$HERE/baselines.ts" "$DATA/validation.jsonl" | tee "$OUT/baselines.txt"

for dir in $DIRECTIONS; do
  src="${dir%-*}"; tgt="${dir#*-}"
  model="${MODEL:-}"
  if [[ -z "$model" ]]; then
    model="$OUT/scratch-t5"
    if [[ ! -f "$model/config.json" ]]; then
      echo "== a from-scratch T5 with a Unigram tokenizer trained on the training pairs (both languages)"
      node --import tsx "$HERE/make-scratch-t5.ts" --out "$model" --data "$DATA/train.jsonl" --source-lang en --target-lang es \
        --vocab-size 4000 --d-model 128 --layers 2 --heads 4 --d-ff 512
    fi
  fi
  echo "== $src → $tgt: fine-tune $model for $EPOCHS epochs, then generate and score the validation set"
  t0=$SECONDS
  lengua train --task translation --model "$model" --train "$DATA/train.jsonl" --eval "$DATA/validation.jsonl" \
    --source-lang "$src" --target-lang "$tgt" ${PREFIX:+--source-prefix "$PREFIX"} \
    --out "$OUT/$dir" --overwrite-output-dir --num-train-epochs "$EPOCHS" --learning-rate 2e-3 --warmup-ratio 0.05 \
    --per-device-train-batch-size 16 --per-device-eval-batch-size 32 --max-length 128 --max-target-length 128 \
    --save-strategy no --logging-steps 100 --threads "$THREADS"
  echo "$dir: $((SECONDS - t0)) s" >> "$OUT/timings.txt"
  first="$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0]; console.log(JSON.parse(l).source)' "$OUT/$dir/eval_predictions.jsonl")"
  echo "== lengua generate on the first validation source: $first"
  lengua generate --model "$OUT/$dir" --max-new-tokens 64 --num-beams 4 "${PREFIX:-}$first"
done
