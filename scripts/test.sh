#!/usr/bin/env bash
# The test command: virtualenv + install (cached), static checks (ruff lint, ruff
# format, mypy: they fail fast, before anything slow), train if the data changed,
# validate the Rasa data, then the whole pytest suite (actions, store, NLU evaluation,
# story tests, gateway, browser). Extra arguments go to pytest.
#
# The fast subset: `scripts/test.sh -m "not slow"` (or `scripts/test.sh --fast`) runs
# the static checks and the tests not marked `slow` (pyproject.toml): no training, no
# `rasa data validate`, no Rasa server, no browser.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
export TF_CPP_MIN_LOG_LEVEL=2

# A marker expression that leaves the slow tests out ("not slow", "not slow and ...").
excludes_slow() {
    local expr=" $(echo "$1" | tr -s '[:space:]' ' ') "
    [[ "$expr" == *" not slow "* && "$expr" != *" or "* ]]
}
fast=0
args=()
expect_marker=0
for arg in "$@"; do
    if [ "$expect_marker" = 1 ]; then
        excludes_slow "$arg" && fast=1
        expect_marker=0
    elif [ "$arg" = "--fast" ]; then
        fast=1
        args+=(-m "not slow")
        continue
    elif [ "$arg" = "-m" ]; then
        expect_marker=1
    elif [[ "$arg" == -m?* ]]; then
        excludes_slow "${arg#-m}" && fast=1
    fi
    args+=("$arg")
done

check() {  # check <what> <how to fix> <command...>
    local what="$1" fix="$2"
    shift 2
    echo "==> $what"
    if ! "$@"; then
        echo "ERROR: $what failed: $fix. Nothing else was run." >&2
        exit 1
    fi
}
check "ruff check" "fix the findings above (many: ruff check --fix)" "$PY" -m ruff check .
check "ruff format --check" "run ruff format" "$PY" -m ruff format --check .
check "mypy" "fix the type errors above" "$PY" -m mypy

if [ "$fast" = 1 ]; then
    echo "==> pytest (fast subset: no training, no Rasa, no browser)"
    # Modules that are slow throughout are not even imported (tests/conftest.py), and the
    # schemathesis plugin (hypothesis: seconds of imports) serves only the slow API fuzz.
    exec "$PY" -m pytest -p no:schemathesis "${args[@]}"
fi

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
exec "$PY" -m pytest "${args[@]}"
