#!/usr/bin/env bash
# The whole test suite, from a fresh clone: install what is missing, type-check, build, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
npx tsc --noEmit -p tsconfig.json
# the layering of STYLE.md (.dependency-cruiser.cjs): no upward import, no circle, a pure core
npx depcruise src --config .dependency-cruiser.cjs
npx vitest run "$@"
