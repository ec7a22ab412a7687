#!/usr/bin/env bash
# The test command: virtualenv + install (cached), train if the data changed,
# validate the Rasa data, then the whole pytest suite (actions, store, NLU
# evaluation, story tests, gateway, browser). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
export TF_CPP_MIN_LOG_LEVEL=2
# The browser test drives Debian's chromium (no browser download); a CJK font makes
# its screenshots readable.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || missing+=(fonts-wqy-microhei)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> Installing ${missing[*]} (Debian packages) for the browser test"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "WARNING: missing ${missing[*]} (sudo apt-get install ${missing[*]}); the browser test may be skipped." >&2
    fi
fi
export CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || true)}"
"$PY" -m bot train
echo "==> rasa data validate"
"$PY" -m rasa data validate --domain domain.yml --data nlu_data --config config.yml --fail-on-warnings
echo "==> pytest"
exec "$PY" -m pytest "$@"
