# Sourced by scripts/run.sh and scripts/test.sh (which set -euo pipefail): finds
# Python 3.10, creates (or reuses) a virtualenv keyed by the dependency spec, and
# exports VENV / PY / PATH. `source scripts/env.sh` in a shell gives you the same
# environment for `python -m bot ...` commands.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

find_python310() {
    local candidates=()
    [ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
    candidates+=(python3.10)
    if command -v pyenv >/dev/null 2>&1; then
        candidates+=("$(pyenv root)"/versions/3.10*/bin/python)
    fi
    candidates+=("$HOME"/.pyenv/versions/3.10*/bin/python /root/.pyenv/versions/3.10*/bin/python
                 /usr/local/bin/python3.10 /usr/bin/python3.10 python3 python)
    local c
    for c in "${candidates[@]}"; do
        if command -v "$c" >/dev/null 2>&1 && \
           "$c" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

if ! BASE_PY="$(find_python310)"; then
    cat >&2 <<'MSG'
ERROR: Python 3.10 was not found (Rasa 3.6 runs on Python 3.8-3.10 only).
Install it, then run this command again, for example:
  - Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv
  - pyenv:          pyenv install 3.10.13
  - or point PYTHON at an interpreter:  PYTHON=/path/to/python3.10 <command>
MSG
    return 1 2>/dev/null || exit 1
fi

# Bump ENV_LAYOUT when the way the venv is built changes (not needed for dependency edits).
# The venv is keyed by the [project] tables of pyproject.toml (dependencies and extras:
# everything above the first [tool.*] table), so tool settings can change without a rebuild.
ENV_LAYOUT=2
DEPS_HASH="$( (echo "$ENV_LAYOUT"; sed '/^\[tool\./,$d' "$ROOT/pyproject.toml") | sha256sum | cut -c1-12)"
CACHE_HOME="${PARCEL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/parcel-assistant}"
VENV="${VENV_DIR:-$CACHE_HOME/venv-$DEPS_HASH}"
export VENV

# Two commands started at once (run.sh in one terminal, test.sh in another) must not
# build the same virtualenv together: the second waits for the first, then reuses it.
mkdir -p "$CACHE_HOME"
exec {VENV_LOCK_FD}>"$CACHE_HOME/.venv-$DEPS_HASH.lock"
if [ ! -f "$VENV/.complete" ] && ! flock -n "$VENV_LOCK_FD"; then
    echo "==> Waiting for another command that is building $VENV"
    flock "$VENV_LOCK_FD"
fi
if [ ! -f "$VENV/.complete" ]; then
    echo "==> Creating virtualenv $VENV with $BASE_PY (first run: ~3-5 min, ~3 GB)"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$BASE_PY" -m venv "$VENV"
    quiet_pip() {  # pip's notes about this machine's unreachable local mirrors are noise
        local status=0
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@" \
            > "$VENV/pip.log" 2>&1 || status=$?
        grep -v "is ignored: it is neither a file nor a directory" "$VENV/pip.log" || true
        return "$status"
    }
    quiet_pip --upgrade "pip>=23.3,<25" "setuptools<70" wheel
    # Dependencies and the `test` extra come from pyproject.toml; the project itself is
    # not installed (commands run from the checkout, so several clones can share the venv).
    "$VENV/bin/python" - "$ROOT/pyproject.toml" > "$VENV/requirements.txt" <<'PYEOF'
import sys
from pip._vendor import tomli
with open(sys.argv[1], "rb") as fh:
    project = tomli.load(fh)["project"]
for dep in project["dependencies"] + project["optional-dependencies"]["test"]:
    print(dep)
PYEOF
    quiet_pip -r "$VENV/requirements.txt"
    touch "$VENV/.complete"
fi
exec {VENV_LOCK_FD}>&-
# The stock rasa-webchat widget (npm), served by the gateway's demo page; the
# package's lib/index.js is a standalone browser bundle, so only its tarball is needed.
WEBCHAT_VERSION=1.0.1
WEBCHAT_DIR="${WEBCHAT_DIR:-$CACHE_HOME/rasa-webchat-$WEBCHAT_VERSION}"
if [ ! -f "$WEBCHAT_DIR/package/lib/index.js" ]; then
    if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> Installing Node.js/npm (Debian packages) to fetch the rasa-webchat widget"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || true
    fi
    if command -v npm >/dev/null 2>&1; then
        echo "==> Fetching rasa-webchat@$WEBCHAT_VERSION from npm"
        mkdir -p "$WEBCHAT_DIR"
        (cd "$WEBCHAT_DIR" && npm pack --silent "rasa-webchat@$WEBCHAT_VERSION" >/dev/null 2>&1 \
            && tar -xzf "rasa-webchat-$WEBCHAT_VERSION.tgz") \
            || echo "WARNING: could not fetch rasa-webchat from npm; the demo page falls back to its built-in widget." >&2
    else
        echo "WARNING: npm not found: install Node.js (apt-get install nodejs npm) for the rasa-webchat demo page." >&2
    fi
fi
export WEBCHAT_JS="$WEBCHAT_DIR/package/lib/index.js"
# Chart.js for the console's Reports view (npm; its dist/chart.umd.min.js is a standalone
# browser bundle, served by the gateway at /static/vendor/chart.js).
CHARTJS_VERSION=4.6.1
CHARTJS_DIR="${CHARTJS_DIR:-$CACHE_HOME/chart.js-$CHARTJS_VERSION}"
if [ ! -f "$CHARTJS_DIR/package/dist/chart.umd.min.js" ]; then
    if command -v npm >/dev/null 2>&1; then
        echo "==> Fetching chart.js@$CHARTJS_VERSION from npm"
        mkdir -p "$CHARTJS_DIR"
        (cd "$CHARTJS_DIR" && npm pack --silent "chart.js@$CHARTJS_VERSION" >/dev/null 2>&1 \
            && tar -xzf "chart.js-$CHARTJS_VERSION.tgz") \
            || echo "WARNING: could not fetch chart.js from npm; the console's Reports view shows no charts." >&2
    else
        echo "WARNING: npm not found: install Node.js (apt-get install nodejs npm) for the Reports charts." >&2
    fi
fi
export CHARTJS_JS="$CHARTJS_DIR/package/dist/chart.umd.min.js"

PY="$VENV/bin/python"
export PY
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$VENV/bin:$PATH"
