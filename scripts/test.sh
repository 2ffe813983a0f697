#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install what is missing, type-check, build, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npx tsc --noEmit -p tsconfig.json
npx vitest run "$@"
