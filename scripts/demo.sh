#!/usr/bin/env bash
# The main job, from a fresh clone: install what is missing (first run only), then run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "Solving the notes' T = 3 scalar RNN (examples/rnn-t3.json):" >&2
node dist/cli.js solve examples/rnn-t3.json
