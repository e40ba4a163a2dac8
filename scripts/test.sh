#!/usr/bin/env bash
# Set everything up on a fresh clone, run the checks, then the whole test suite (real PostgreSQL and Redis).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --dev
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
say "checks: ruff format, ruff, mypy, import contracts"
.venv/bin/ruff format --check --quiet .
.venv/bin/ruff check --quiet .
.venv/bin/mypy lightspeedpay
# the import contracts in pyproject.toml (layers, kit and jobs import no domain, no cycles)
.venv/bin/lint-imports --no-cache
say "tests (the schemathesis fuzz, the chaos test and the models-vs-migrations check are among them)"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
