# shellcheck shell=bash
# Shared by scripts/* and .ci/run: find or install uv, build .venv from uv.lock,
# and install the programs the real test servers need. Every step is idempotent,
# so running a script twice costs seconds, not minutes.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

# Use the machine's Python; never download an interpreter (only PyPI is reachable).
export UV_PYTHON_DOWNLOADS=never
# Trust the system's certificate store (a proxy's CA lives there), as pip and npm do.
export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}"
if [ -n "${CI:-}" ]; then export UV_NO_PROGRESS=1; fi

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else return 1
    fi
}

find_python() {
    local py
    for py in "${PYTHON:-}" python3 python; do
        [ -n "$py" ] || continue
        if command -v "$py" >/dev/null 2>&1 \
            && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
            "$py" -c 'import sys; print(sys.executable)'
            return 0
        fi
    done
    die "dvcremote needs Python >= 3.10 on PATH (or PYTHON=/path/to/python)"
}

# Sets UV to a working uv binary; installs it with pip into .ci/tools/uv if needed.
# (`pip install --target` works even where the system Python is "externally managed".)
ensure_uv() {
    PY="$(find_python)"
    export UV_PYTHON="$PY"
    if command -v uv >/dev/null 2>&1; then
        UV="$(command -v uv)"
    elif [ -x "$REPO_ROOT/.ci/tools/uv/bin/uv" ]; then
        UV="$REPO_ROOT/.ci/tools/uv/bin/uv"
    else
        say "installing uv with pip into .ci/tools/uv"
        "$PY" -m pip install --quiet --disable-pip-version-check \
            --target "$REPO_ROOT/.ci/tools/uv" "uv>=0.5"
        UV="$REPO_ROOT/.ci/tools/uv/bin/uv"
    fi
    [ -x "$UV" ] || die "uv was not found or installed at $UV"
    export UV
}

# The whole workspace (core, dvcremote-testing, every plugin) plus the dev group,
# exactly as pinned by uv.lock, into $REPO_ROOT/.venv.
sync_all() {
    say "uv sync --all-packages --locked"
    (cd "$REPO_ROOT" && "$UV" sync --all-packages --locked "$@")
}

# OpenSSH's sshd for the ssh plugin's tests (they fall back to asyncssh without it).
ensure_sshd() {
    if [ ! -x /usr/sbin/sshd ]; then
        say "installing openssh-server (apt)"
        if ! { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
            && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                --no-install-recommends openssh-server >/dev/null; }; then
            [ "${CI:-}" = true ] && die "could not install openssh-server"
            say "warning: no openssh-server; the ssh tests will use asyncssh's server instead"
            return 0
        fi
    fi
    # sshd refuses to start without its compiled-in privilege-separation directory.
    [ -d /run/sshd ] || as_root mkdir -p /run/sshd \
        || say "warning: cannot create /run/sshd; sshd may refuse to start"
}

# Azurite (npm) for the azure plugin's tests, pinned by plugins/azure/package-lock.json.
ensure_azurite() {
    local dir="$REPO_ROOT/plugins/azure"
    if [ ! -f "$dir/package-lock.json" ]; then
        say "no plugins/azure/package-lock.json yet: skipping Azurite"
        return 0
    fi
    command -v npm >/dev/null 2>&1 || die "npm is needed to install Azurite for the azure tests"
    if [ -f "$dir/node_modules/.package-lock.json" ] \
        && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
        return 0
    fi
    say "npm ci (Azurite) in plugins/azure"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

ensure_servers() {
    ensure_sshd
    ensure_azurite
}
