#!/usr/bin/env bash
# Tweet sentiment (UMSAB Spanish and English, 3 classes): TF-IDF baseline vs a small BERT trained from
# scratch, trained on train and scored on validation, with the HTML reports. See README.md next to this.
#
#   bash examples/tweet-sentiment/run.sh                  # both languages, everything
#   LANGS=spanish EPOCHS=2 bash examples/tweet-sentiment/run.sh
#
# Environment knobs (defaults in brackets):
#   SHARED     folder holding data/umsab-*-sentiment    [<repo>/../shared]
#   VOCAB      folder with the WordPiece vocab.txt       [$SHARED/golden/tokenizers/vocab/bert-base-uncased]
#   LANGS      languages to run                          ["spanish english"]
#   THREADS    libtorch CPU threads                      [2]
#   EPOCHS     epochs of the from-scratch transformer    [4]
#   STRATEGIES 1 = also run short head/freeze sanity runs on the first language [1]
#   CV         1 = also run 5-fold CV of the baseline on train [1]
#   OMP_WAIT_POLICY  libgomp's waiting policy            [PASSIVE]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel)"
SHARED="${SHARED:-$ROOT/../shared}"
VOCAB="${VOCAB:-$SHARED/golden/tokenizers/vocab/bert-base-uncased}"
LANGS="${LANGS:-spanish english}"
THREADS="${THREADS:-2}"
EPOCHS="${EPOCHS:-4}"
STRATEGIES="${STRATEGIES:-1}"
CV="${CV:-1}"
OUT="$HERE/out"
# libtorch's OpenMP threads spin while they wait for work by default. On a machine shared with other jobs
# that made 20 training steps take 56-82 s instead of 8 s (2 threads, load average ~12); passive waiting
# avoids it. Set OMP_WAIT_POLICY=ACTIVE to measure the default.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

lengua() { node "$ROOT/bin/lengua.js" "$@"; }
TIMINGS="$OUT/timings.tsv"
# Runs a command and appends "name<TAB>seconds" to the timings file.
timed() {
  local name="$1"; shift
  local t0=$SECONDS
  echo "== $name: $*"
  "$@"
  printf '%s\t%s\n' "$name" "$((SECONDS - t0))" >> "$TIMINGS"
}

for lang in $LANGS; do
  [[ -f "$SHARED/data/umsab-$lang-sentiment/train_text.txt" ]] || { echo "missing $SHARED/data/umsab-$lang-sentiment (set SHARED=...)" >&2; exit 1; }
done
[[ -f "$VOCAB/vocab.txt" ]] || { echo "missing $VOCAB/vocab.txt (set VOCAB=...)" >&2; exit 1; }

mkdir -p "$OUT"
: > "$TIMINGS"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); OMP_WAIT_POLICY=$OMP_WAIT_POLICY" | tee "$OUT/load.txt"

# 1. The data stays where it is. The UMSAB files are TweetEval-style parallel files with label ids 0/1/2;
#    Lengua names the labels from a mapping.txt beside them (TweetEval's convention), so link the files
#    into out/data/<lang>/ and add one there. Reports then say negative/neutral/positive.
for lang in $LANGS; do
  d="$OUT/data/$lang"
  mkdir -p "$d"
  for f in train_text train_labels val_text val_labels; do
    ln -sfn "$SHARED/data/umsab-$lang-sentiment/$f.txt" "$d/$f.txt"
  done
  printf '0\tnegative\n1\tneutral\n2\tpositive\n' > "$d/mapping.txt"
done

# 2. The from-scratch transformer: a random-init BERT (2 layers, hidden 128) with bert-base-uncased's
#    WordPiece vocabulary, saved as an ordinary model folder. Same starting weights for both languages.
INIT="$OUT/scratch-bert-init"
rm -rf "$INIT"
timed make-scratch-model node --import tsx "$HERE/make-scratch-model.ts" --vocab "$VOCAB" --out "$INIT" \
  --layers 2 --hidden 128 --heads 2 --intermediate 512 --max-positions 128 --seed 42

# Training arguments for the from-scratch model: a learning rate far above fine-tuning's 2e-5..5e-5,
# because nothing here is pretrained; the final epoch's model is the one scored (no selection on validation).
SCRATCH_ARGS=(--threads "$THREADS" --num-train-epochs "$EPOCHS" --learning-rate 1e-3 --warmup-ratio 0.1
  --weight-decay 0.01 --per-device-train-batch-size 32 --per-device-eval-batch-size 64 --max-length 64
  --group-by-length --eval-strategy epoch --save-strategy no --logging-steps 20 --seed 42 --quiet)

for lang in $LANGS; do
  d="$OUT/data/$lang"
  o="$OUT/$lang"
  rm -rf "$o"
  mkdir -p "$o"

  # 3. Baseline: TF-IDF (word 1-2 + char 2-5 grams) + logistic regression, then the report on validation.
  timed "$lang baseline train" lengua train --model baseline:tfidf-logreg \
    --train "$d/train_text.txt" --eval "$d/val_text.txt" --out "$o/baseline"
  timed "$lang baseline evaluate" lengua evaluate --model "baseline:$o/baseline" --data "$d/val_text.txt" \
    --split validation --out "$o/baseline/eval-validation" --title "UMSAB $lang: TF-IDF + logistic regression (validation)"

  # 4. Cross-validation of the baseline on train only: how much the validation figure can move by chance.
  if [[ "$CV" == 1 ]]; then
    timed "$lang baseline cv" lengua cv --model baseline:tfidf-logreg --train "$d/train_text.txt" \
      --folds 5 --metric eval_macro_recall --out "$o/cv-baseline"
  fi

  # 5. The from-scratch transformer: train on train (evaluating on validation each epoch for the learning
  #    curves), then the same evaluate command as the baseline.
  timed "$lang scratch train" lengua train --model "$INIT" --train "$d/train_text.txt" --eval "$d/val_text.txt" \
    --out "$o/scratch" "${SCRATCH_ARGS[@]}"
  timed "$lang scratch evaluate" lengua evaluate --model "$o/scratch" --data "$d/val_text.txt" --split validation \
    --out "$o/scratch/eval-validation" --title "UMSAB $lang: 2-layer BERT trained from scratch (validation)"
done

# 6. The other two strategies on the first language, same arguments. On a random-init model they only show
#    that the pipeline is wired: 'head' trains a classifier on random features, which cannot be useful, and
#    'freeze' keeps the random embeddings. check-frozen.ts shows that the frozen tensors stayed bit-identical.
if [[ "$STRATEGIES" == 1 ]]; then
  lang="${LANGS%% *}"
  d="$OUT/data/$lang"
  for s in head freeze; do
    extra=()
    [[ "$s" == freeze ]] && extra=(--freeze-layers 1)
    timed "$lang strategy $s train" lengua train --model "$INIT" --train "$d/train_text.txt" --eval "$d/val_text.txt" \
      --out "$OUT/$lang/strategy-$s" --strategy "$s" "${extra[@]}" "${SCRATCH_ARGS[@]}"
    timed "$lang strategy $s evaluate" lengua evaluate --model "$OUT/$lang/strategy-$s" --data "$d/val_text.txt" \
      --split validation --out "$OUT/$lang/strategy-$s/eval-validation" --title "UMSAB $lang: strategy $s on the random-init BERT (sanity check)"
    echo "-- weights changed by --strategy $s:"
    node --import tsx "$HERE/check-frozen.ts" "$INIT" "$OUT/$lang/strategy-$s"
  done
fi

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/load.txt"

# 7. The comparison table, from the metrics.json files the evaluate commands wrote.
node - "$OUT" "$LANGS" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [out, langs] = process.argv.slice(2);
const timings = Object.fromEntries(fs.readFileSync(path.join(out, 'timings.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t')));
const f = (x) => (x === undefined ? '—' : x.toFixed(4));
const rows = [];
for (const lang of langs.split(' ').filter(Boolean)) {
  const runs = [['TF-IDF + logreg', 'baseline', 'baseline'], ['BERT from scratch (full)', 'scratch', 'scratch'],
    ['  strategy head (sanity)', 'strategy-head', 'strategy head'], ['  strategy freeze (sanity)', 'strategy-freeze', 'strategy freeze']];
  for (const [name, dir, timingKey] of runs) {
    const file = path.join(out, lang, dir, 'eval-validation', 'metrics.json');
    if (!fs.existsSync(file)) continue;
    const m = JSON.parse(fs.readFileSync(file, 'utf8'));
    const secs = timings[`${lang} ${timingKey} train`];
    rows.push(`| ${lang} | ${name} | ${m.split} | ${m.n} | ${f(m.metrics.accuracy)} | ${f(m.metrics.macro_recall)} | ${f(m.metrics.macro_f1)} | ${secs ?? '—'} |`);
  }
  const cv = path.join(out, lang, 'cv-baseline', 'cv-results.json');
  if (fs.existsSync(cv)) {
    const c = JSON.parse(fs.readFileSync(cv, 'utf8'));
    const pm = (k) => `${f(c.mean[k])} ± ${c.std[k].toFixed(4)}`;
    rows.push(`| ${lang} | TF-IDF + logreg, ${c.k}-fold CV on train | cv folds | ${c.n} | ${pm('eval_accuracy')} | ${pm('eval_macro_recall')} | ${pm('eval_macro_f1')} | ${timings[`${lang} baseline cv`] ?? '—'} |`);
  }
}
console.log('\n| language | model | split | n | accuracy | macro recall | macro F1 | train s |');
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
EOF
