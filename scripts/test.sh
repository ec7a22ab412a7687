#!/usr/bin/env bash
# The test command: virtualenv + install (cached), train if the data changed,
# validate the Rasa data, then the whole pytest suite (actions, store, NLU
# evaluation, story tests, gateway, browser). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
export TF_CPP_MIN_LOG_LEVEL=2
# The browser test drives Debian's chromium (no browser download).
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> Installing Debian's chromium for the browser test"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
    else
        echo "WARNING: chromium not found (sudo apt-get install chromium); the browser test will be skipped." >&2
    fi
fi
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || true)}"
"$PY" -m bot train
echo "==> rasa data validate"
"$PY" -m rasa data validate --domain domain.yml --data nlu_data --config config.yml --fail-on-warnings
echo "==> pytest"
exec "$PY" -m pytest "$@"
