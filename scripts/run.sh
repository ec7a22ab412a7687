#!/usr/bin/env bash
# The run command: virtualenv + install (cached), train if the data changed, load
# demo shipments on first start, start everything and print where to chat.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
"$PY" -m bot train
exec "$PY" -m bot serve "$@"
