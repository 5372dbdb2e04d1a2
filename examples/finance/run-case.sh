#!/usr/bin/env bash
# The text-classification case study shared by examples/finance, examples/retail and examples/education (each
# run.sh sets the knobs below and calls this): TF-IDF baseline vs a small BERT trained from scratch, both trained
# on data/train.jsonl and scored once on data/validation.jsonl with `lengua evaluate`, then one table.
#
# Knobs (set by the calling run.sh; environment overrides):
#   CASE_DIR     the example folder (holds data/, gets out/)
#   CASE_TITLE   name used in report titles
#   LABELS       the labels, comma-separated, sorted
#   TEXT_COLUMN  JSON key of the text                          [text]
#   PAIR_COLUMN  JSON key of the second text of a pair         [none]
#   VOCAB_SIZE   WordPiece vocabulary trained on the training texts [2000]
#   EPOCHS       epochs of the from-scratch model               [20]
#   LR           peak learning rate (AdamW, 10 % warmup, linear decay) [1e-3]
#   MAX_LENGTH   subword tokens per input (pair: both texts)   [64]
#   THREADS      libtorch CPU threads                           [2]
set -euo pipefail

: "${CASE_DIR:?set CASE_DIR}" "${CASE_TITLE:?set CASE_TITLE}" "${LABELS:?set LABELS}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel)"
TEXT_COLUMN="${TEXT_COLUMN:-text}"
PAIR_COLUMN="${PAIR_COLUMN:-}"
VOCAB_SIZE="${VOCAB_SIZE:-2000}"
EPOCHS="${EPOCHS:-20}"
LR="${LR:-1e-3}"
MAX_LENGTH="${MAX_LENGTH:-64}"
THREADS="${THREADS:-2}"
DATA="$CASE_DIR/data"
OUT="$CASE_DIR/out"
# Passive OpenMP waiting: spinning threads slow everything down on a shared machine (see examples/tweet-sentiment).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
[[ -f "$DATA/train.jsonl" && -f "$DATA/validation.jsonl" ]] || { echo "missing $DATA/{train,validation}.jsonl (run make-data.ts)" >&2; exit 1; }

lengua() { nice -n 10 node "$ROOT/bin/lengua.js" "$@"; }
COLS=(--text-column "$TEXT_COLUMN")
[[ -n "$PAIR_COLUMN" ]] && COLS+=(--text-pair-column "$PAIR_COLUMN")

rm -rf "$OUT"
mkdir -p "$OUT"
TIMINGS="$OUT/timings.tsv"
: > "$TIMINGS"
timed() {
  local name="$1"; shift
  local t0=$SECONDS
  echo "== $name"
  "$@"
  printf '%s\t%s\n' "$name" "$((SECONDS - t0))" >> "$TIMINGS"
}
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/load.txt"

# 1. Baseline: TF-IDF (word 1-2 + char 2-5 grams) + logistic regression; a pair is joined into one text.
timed baseline lengua train --model baseline:tfidf-logreg --train "$DATA/train.jsonl" --eval "$DATA/validation.jsonl" \
  "${COLS[@]}" --out "$OUT/baseline"
lengua evaluate --model "baseline:$OUT/baseline" --data "$DATA/validation.jsonl" --split validation "${COLS[@]}" \
  --out "$OUT/baseline/eval-validation" --title "$CASE_TITLE: TF-IDF + logistic regression (validation)" > /dev/null

# 2. The from-scratch model: a lower-cased WordPiece tokenizer trained on the training texts only (the pair's
#    second column too, through a corpus file), and a random-init BERT (2 layers, hidden 128) with that vocabulary.
node -e '
const fs = require("node:fs");
const [file, out, ...cols] = process.argv.slice(1);
const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
fs.writeFileSync(out, [...new Set(lines.flatMap((r) => cols.map((c) => r[c])))].join("\n") + "\n");
' "$DATA/train.jsonl" "$OUT/tokenizer-corpus.txt" "$TEXT_COLUMN" ${PAIR_COLUMN:+"$PAIR_COLUMN"}
lengua tokenizer train --model wordpiece --vocab-size "$VOCAB_SIZE" --out "$OUT/tokenizer" "$OUT/tokenizer-corpus.txt"
nice -n 10 node --import tsx "$ROOT/examples/tweet-sentiment/make-scratch-model.ts" --vocab "$OUT/tokenizer" --out "$OUT/scratch-init" \
  --layers 2 --hidden 128 --heads 2 --intermediate 512 --max-positions 128 --seed 42 --labels "$LABELS"

# 3. Train it; validation is scored after every epoch only for the curve: the last epoch's model is the one
#    evaluated (no selection on validation).
timed model lengua train --model "$OUT/scratch-init" --train "$DATA/train.jsonl" --eval "$DATA/validation.jsonl" "${COLS[@]}" \
  --out "$OUT/model" --threads "$THREADS" --num-train-epochs "$EPOCHS" --learning-rate "$LR" --warmup-ratio 0.1 \
  --weight-decay 0.01 --per-device-train-batch-size 16 --per-device-eval-batch-size 64 --max-length "$MAX_LENGTH" \
  --eval-strategy epoch --save-strategy no --logging-steps 50 --seed 42 --quiet
lengua evaluate --model "$OUT/model" --data "$DATA/validation.jsonl" --split validation "${COLS[@]}" --max-length "$MAX_LENGTH" \
  --out "$OUT/model/eval-validation" --title "$CASE_TITLE: 2-layer BERT trained from scratch (validation)" > /dev/null

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"
nice -n 10 node --import tsx "$HERE/table.ts" "$OUT" | tee "$OUT/table.md"
