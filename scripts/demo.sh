#!/usr/bin/env bash
# The main job, from a fresh clone: install what is missing (first run only), then render the
# demo class set — a worksheet PDF per student of examples/roster.csv, the class set and the
# answer key — into out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
node dist/cli.js render --bank midterm --roster examples/roster.csv --secret-file examples/demo.secret --out out/demo --html "$@"
