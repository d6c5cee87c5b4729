#!/usr/bin/env bash
# Brings up everything the project needs, idempotently and offline-safe (package registries only):
#   .venv/         Python venv from requirements.lock (+ this package, editable)
#   node_modules/  solc (solcjs), OpenZeppelin Contracts, anvil/forge/cast from package-lock.json
#   .solcx/        the solc shim registered as solc-v<version> for py-solc-x / ape-solidity
# A stamp holding the lock file's hash makes a second run a no-op; a changed lock file reinstalls.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3.11}"
VENV="$ROOT/.venv"
SOLCX_DIR="$ROOT/.solcx"

say() { printf '[setup] %s\n' "$*"; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

command -v "$PYTHON" >/dev/null || { echo "error: $PYTHON not found; install Python 3.11 or set PYTHON=/path/to/python3.11" >&2; exit 1; }
command -v node >/dev/null || { echo "error: node not found; install Node.js 18+ (apt-get install nodejs npm)" >&2; exit 1; }
command -v npm >/dev/null || { echo "error: npm not found; install npm (apt-get install npm)" >&2; exit 1; }

# --- Python ---------------------------------------------------------------------------------
py_hash="$(hash_of requirements.lock pyproject.toml)"
if [[ ! -x "$VENV/bin/python" || "$(cat "$VENV/.installed" 2>/dev/null)" != "$py_hash" ]]; then
    say "installing Python dependencies from requirements.lock into .venv (about 2 minutes on a new machine)"
    [[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements.lock
    # The repository root on sys.path makes `oracle` importable from the working tree.
    "$VENV/bin/python" -c 'import site, sys; open(site.getsitepackages()[0] + "/erasure_tournament.pth", "w").write(sys.argv[1] + "\n")' "$ROOT"
    echo "$py_hash" > "$VENV/.installed"
fi

# --- Node -----------------------------------------------------------------------------------
node_hash="$(hash_of package-lock.json)"
if [[ ! -d node_modules || "$(cat node_modules/.installed 2>/dev/null)" != "$node_hash" ]]; then
    say "installing npm packages from package-lock.json (solc, OpenZeppelin, anvil, forge, cast)"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$node_hash" > node_modules/.installed
fi

# --- solc shim ------------------------------------------------------------------------------
SOLC_VERSION="$(node -p "require('./node_modules/solc/package.json').version")"
mkdir -p "$SOLCX_DIR"
target="$SOLCX_DIR/solc-v$SOLC_VERSION"
if [[ "$(readlink "$target" 2>/dev/null)" != "$ROOT/tools/solc" ]]; then
    ln -sfn "$ROOT/tools/solc" "$target"
    say "registered the solc shim as $target"
fi

# --- browser for the page tests -------------------------------------------------------------
# Debian's chromium, driven by playwright (which downloads no browser of its own).
if [[ ! -x /usr/bin/chromium ]]; then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        say "installing Debian's chromium for the page tests (about 30 s)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 \
            || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
    else
        say "warning: /usr/bin/chromium is missing and cannot be installed without root: run 'sudo apt-get install chromium' (the page tests need it)"
    fi
fi

# --- activate hook --------------------------------------------------------------------------
# `source .venv/bin/activate` also puts anvil/forge/cast on PATH and points py-solc-x at the shim.
if ! grep -q "erasure-tournament env" "$VENV/bin/activate"; then
    cat >> "$VENV/bin/activate" <<HOOK
# erasure-tournament env
export SOLCX_BINARY_PATH="$SOLCX_DIR"
export PATH="$ROOT/node_modules/.bin:\$PATH"
HOOK
fi
