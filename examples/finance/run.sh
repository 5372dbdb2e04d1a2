#!/usr/bin/env bash
# Financial-headline sentiment (positive / negative / neutral, English and Spanish): TF-IDF baseline vs a small
# BERT trained from scratch on data/train.jsonl, scored on data/validation.jsonl. See README.md next to this.
#
#   bash examples/finance/run.sh
#   EPOCHS=10 bash examples/finance/run.sh
#
# Knobs: EPOCHS [20], LR [1e-3], VOCAB_SIZE [2000], MAX_LENGTH [64], THREADS [2] (see run-case.sh).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CASE_DIR="$HERE" CASE_TITLE="Finance headlines" LABELS=negative,neutral,positive exec bash "$HERE/run-case.sh"
