#!/usr/bin/env bash
# Summarization on SciTLDR (abstracts of ML papers → one-sentence TL;DRs; 1,988 training papers, 617 validation
# papers with 1–4 references each): a small T5 built from scratch here (tokenizer + random weights), fine-tuned with
# `lengua train --task summarization`, scored on validation with ROUGE-1/2/L/Lsum against every reference, next to
# the lead-sentence baseline, then one abstract through `lengua generate`. See README.md next to this.
#
#   bash examples/summarization/run.sh
#   EPOCHS=2 bash examples/summarization/run.sh
#
# Environment knobs (defaults in brackets):
#   SHARED   folder holding data/scitldr-a              [<repo>/../shared]
#   EPOCHS   training epochs                            [10]
#   THREADS  libtorch CPU threads                       [2]
#   MODEL    a model folder or Hub id to fine-tune instead (e.g. t5-small with PREFIX="summarize: ", facebook/bart-base)
#   PREFIX   source prefix                              [none]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel)"
SHARED="${SHARED:-$ROOT/../shared}"
DATA="$SHARED/data/scitldr-a"
EPOCHS="${EPOCHS:-10}"
THREADS="${THREADS:-2}"
OUT="$HERE/out"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
[[ -f "$DATA/train.jsonl" ]] || { echo "missing $DATA (set SHARED=...)" >&2; exit 1; }

lengua() { node "$ROOT/bin/lengua.js" "$@"; }
mkdir -p "$OUT"

echo "== baseline: the lead sentence of the abstract"
node --import tsx "$HERE/baselines.ts" "$DATA/validation.jsonl" | tee "$OUT/baselines.txt"

model="${MODEL:-}"
if [[ -z "$model" ]]; then
  model="$OUT/scratch-t5"
  if [[ ! -f "$model/config.json" ]]; then
    echo "== a from-scratch T5 with a Unigram tokenizer trained on the training abstracts and TL;DRs"
    node --import tsx "$ROOT/examples/translation/make-scratch-t5.ts" --out "$model" --data "$DATA/train.jsonl" \
      --vocab-size 4000 --d-model 128 --layers 2 --heads 4 --d-ff 512
  fi
fi
echo "== fine-tune $model for $EPOCHS epochs, then generate and score the validation set"
t0=$SECONDS
# Sources cut at 256 tokens (most abstracts fit), TL;DRs at 64; generation with 4 beams, as summarization
# checkpoints usually ship.
lengua train --task summarization --model "$model" --train "$DATA/train.jsonl" --eval "$DATA/validation.jsonl" \
  ${PREFIX:+--source-prefix "$PREFIX"} --out "$OUT/run" --overwrite-output-dir --num-train-epochs "$EPOCHS" \
  --learning-rate 2e-3 --warmup-ratio 0.05 --per-device-train-batch-size 16 --per-device-eval-batch-size 32 \
  --max-length 256 --max-target-length 64 --generation-num-beams 4 --save-strategy no --logging-steps 100 --threads "$THREADS"
echo "train+eval: $((SECONDS - t0)) s" > "$OUT/timings.txt"
first="$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").split("\n")[0]; console.log(JSON.parse(l).source)' "$OUT/run/eval_predictions.jsonl")"
echo "== lengua generate on the first validation abstract"
lengua generate --model "$OUT/run" --max-new-tokens 64 --num-beams 4 "${PREFIX:-}$first"
