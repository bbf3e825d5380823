# Shared by scripts/*: locate the checkout and Python 3.13, and build pinned venvs with uv.
# Sourced, not run.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export UV_PYTHON_DOWNLOADS=never   # use pyenv's 3.13, never fetch a toolchain
export UV_CACHE_DIR="${UV_CACHE_DIR:-$HOME/.cache/uv}"
UV_VERSION="0.13.9"

log() { printf '\033[1m[lifx_script]\033[0m %s\n' "$*" >&2; }

# retry TRIES DESCRIPTION COMMAND...: run COMMAND until it succeeds, waiting 10, 20, 40 s between
# tries; a clear error when the last try fails (downloads from PyPI and the Debian mirror).
retry() {
    local tries="$1" what="$2" attempt=1 pause=10
    shift 2
    until "$@"; do
        if [ "$attempt" -ge "$tries" ]; then
            log "error: $what failed $tries times; giving up (network, mirror or index trouble?)"
            return 1
        fi
        log "$what failed (try $attempt of $tries); retrying in ${pause}s"
        sleep "$pause"
        attempt=$((attempt + 1))
        pause=$((pause * 2))
    done
}

find_python() {
    # .python-version selects 3.13 for pyenv; fall back to any python3.13 on PATH.
    local candidate
    for candidate in \
        "$(cd "$REPO_ROOT" && pyenv which python3.13 2>/dev/null)" \
        "$(command -v python3.13 2>/dev/null)" \
        "$(command -v python3 2>/dev/null)"; do
        if [ -n "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    log "Python 3.13 not found (pyenv install 3.13.0, or put python3.13 on PATH)"
    return 1
}

uv_bin() {
    # uv itself lives in a small venv of its own, pinned.
    local tools="$REPO_ROOT/.venv-tools"
    if [ ! -x "$tools/bin/uv" ] || [ "$("$tools/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
        log "installing uv $UV_VERSION into .venv-tools/"
        rm -rf "$tools"
        "$(find_python)" -m venv "$tools"
        retry 3 "pip install uv==$UV_VERSION" \
            "$tools/bin/python" -m pip install --quiet "uv==$UV_VERSION" >&2
    fi
    echo "$tools/bin/uv"
}

# ensure_venv DIR REQUIREMENTS_FILE [extra uv pip flags]: create DIR and install the pinned file,
# skipped when the stamp (hash of the file, the Python and this function's inputs) matches.
ensure_venv() {
    local dir="$REPO_ROOT/$1" requirements="$REPO_ROOT/$2"
    shift 2
    local python stamp
    python="$(find_python)"
    stamp="$( (cat "$requirements"; "$python" --version; echo "$UV_VERSION $*") | sha256sum | cut -d' ' -f1)"
    if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ] && [ -x "$dir/bin/python" ]; then
        return 0
    fi
    local uv
    uv="$(uv_bin)"
    log "setting up ${dir#"$REPO_ROOT"/} from ${requirements#"$REPO_ROOT"/}"
    rm -rf "$dir"
    "$uv" venv --quiet --python "$python" "$dir"
    retry 3 "uv pip install -r ${requirements#"$REPO_ROOT"/}" \
        "$uv" pip install --quiet --python "$dir/bin/python" "$@" -r "$requirements"
    echo "$stamp" > "$dir/.stamp"
}

# ensure_extra DIR REQUIREMENTS_FILE [extra uv pip flags]: install a pinned file on top of an
# existing venv (built by ensure_venv), with a stamp of its own (DIR/.stamp-NAME). Rebuilding DIR
# drops that stamp, so the extra is installed again after it.
ensure_extra() {
    local dir="$REPO_ROOT/$1" requirements="$REPO_ROOT/$2"
    shift 2
    local stamp_file="$dir/.stamp-$(basename "$requirements" .txt)" stamp
    stamp="$( (cat "$requirements"; cat "$dir/.stamp"; echo "$UV_VERSION $*") | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
        return 0
    fi
    local uv
    uv="$(uv_bin)"
    log "installing ${requirements#"$REPO_ROOT"/} into ${dir#"$REPO_ROOT"/}"
    retry 3 "uv pip install -r ${requirements#"$REPO_ROOT"/}" \
        "$uv" pip install --quiet --python "$dir/bin/python" "$@" -r "$requirements"
    echo "$stamp" > "$stamp_file"
}
