#!/usr/bin/env bash
# Set everything up on a fresh clone and run the whole platform with demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/lightspeedpay up "$@"
