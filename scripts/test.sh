#!/usr/bin/env bash
# Set everything up on a fresh clone and run the whole test suite (real PostgreSQL and Redis).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --dev
# checks: the import contracts in pyproject.toml (layers, kit and jobs import no domain, no cycles)
.venv/bin/lint-imports
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
