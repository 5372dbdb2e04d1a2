#!/usr/bin/env bash
# Retail customer-message intent (account, complaint, order_status, product_question, refund, shipping; English and
# Spanish): TF-IDF baseline vs a small BERT trained from scratch on data/train.jsonl, scored on
# data/validation.jsonl. The steps are examples/finance/run-case.sh's. See README.md next to this.
#
#   bash examples/retail/run.sh
#   EPOCHS=10 bash examples/retail/run.sh
#
# Knobs: EPOCHS [20], LR [1e-3], VOCAB_SIZE [2000], MAX_LENGTH [64], THREADS [2] (see ../finance/run-case.sh).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CASE_DIR="$HERE" CASE_TITLE="Retail intents" LABELS=account,complaint,order_status,product_question,refund,shipping \
  exec bash "$HERE/../finance/run-case.sh"
