# Leg 2 of the tests (the newest Home Assistant on Python 3.14), host side: a Debian sid root
# built with debootstrap, entered with chroot. Sourced by scripts/test-latest after lib.sh.
#
# Why a chroot: Home Assistant >= 2026.3 needs Python >= 3.14.2; pyenv here stops at 3.13.0
# and uv cannot download a toolchain, but Debian's sid suite ships python3.14 on the usual
# mirror. Installing sid's python into the host would pull a new libc: a separate root avoids it.
#
# Where things live (git-ignored, outside the checkout so that a fresh clone reuses them):
#   $LATEST_HOME/sid-root/       the root; stamped (.lifx_script-stamp), rebuilt when stale
#   $LATEST_HOME/uv-cache/       uv's cache for the root's venvs (survives a rebuilt root)
#   sid-root/opt/lifx_script/    the venvs (venv/, venv-emulator/) and a copy of the checkout
#
# Safety: /proc, /dev, /sys and the uv cache are mounted ONLY inside a private mount namespace
# (unshare -m) that lives as long as the command run in the root. When it ends, however it ends
# (even SIGKILL), the kernel drops those mounts: the host never sees them. A root is removed
# only after checking that nothing is mounted below it, and with rm --one-file-system.

LATEST_HOME="${LIFX_SCRIPT_CACHE:-$HOME/.cache/lifx_script}"
SID_ROOT="$LATEST_HOME/sid-root"
SID_SUITE="${LIFX_SCRIPT_SID_SUITE:-sid}"
# Bump CHROOT_FORMAT when the way the root is built changes: a stale root is rebuilt.
CHROOT_FORMAT=1
CHROOT_INCLUDE="python3.14,python3.14-venv,python3.14-dev,build-essential,git,ca-certificates"
# Installed with apt-get inside the root: Debian's chromium for headless browser tests.
CHROOT_APT_PACKAGES="chromium"
# Inside the root.
ROOT_WORK=/opt/lifx_script
ROOT_CHECKOUT=$ROOT_WORK/checkout
ROOT_UV_CACHE=/var/cache/lifx_script-uv
# Host variables carried into the root when set (PIP_FIND_LINKS is not: it points at a host
# folder). Certificates: the root trusts the host's extra CAs (see configure_root).
PASS_VARIABLES=(
    CI TERM PYTHONDONTWRITEBYTECODE PYTHONUNBUFFERED PIP_DEFAULT_TIMEOUT
    PIP_DISABLE_PIP_VERSION_CHECK PIP_INDEX_URL PIP_EXTRA_INDEX_URL UV_INDEX_URL
    UV_EXTRA_INDEX_URL UV_DEFAULT_INDEX UV_HTTP_TIMEOUT
    http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY
)

die() {
    log "error: $*"
    exit 1
}

require_root() {
    [ "$(id -u)" = 0 ] && return 0
    die "leg 2 (HA latest, Python 3.14) needs root for debootstrap, chroot and mounts: run it as root (e.g. sudo scripts/test --ha latest)"
}

debian_mirror() {
    # The Debian mirror the host already uses (deb822 or one-line sources), else deb.debian.org.
    if [ -n "${LIFX_SCRIPT_DEBIAN_MIRROR:-}" ]; then
        echo "$LIFX_SCRIPT_DEBIAN_MIRROR"
        return
    fi
    local found
    found="$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -oE '(https?://[^ ]+/debian)/?( |$)' | grep -v security | head -n 1 | tr -d ' ' || true)"
    echo "${found:-http://deb.debian.org/debian}"
}

# mounts_below DIR: mount points at or below DIR in this (the host's) mount namespace, deepest first.
mounts_below() {
    local dir
    dir="$(realpath -m "$1")"
    findmnt -rn -o TARGET | awk -v d="$dir" '$0 == d || index($0, d "/") == 1' | sort -r
}

# remove_tree DIR: rm -rf a root or part of one, never through a mount. Stale mounts (left by a
# killed debootstrap, say) are unmounted first; if one stays, stop with an error.
remove_tree() {
    local dir="$1" mounted
    case "$(realpath -m "$dir")" in
        "$(realpath -m "$LATEST_HOME")"/?*) ;;
        *) die "refusing to remove $dir: not inside $LATEST_HOME" ;;
    esac
    [ -e "$dir" ] || return 0
    mounted="$(mounts_below "$dir")"
    if [ -n "$mounted" ]; then
        log "unmounting what a previous run left mounted in $dir"
        while IFS= read -r target; do
            umount "$target" 2>/dev/null || umount --lazy "$target" || true
        done <<<"$mounted"
        mounted="$(mounts_below "$dir")"
        [ -z "$mounted" ] || die "refusing to remove $dir: still mounted: $(echo "$mounted" | tr '\n' ' ')"
    fi
    rm -rf --one-file-system "$dir"
}

ensure_debootstrap() {
    command -v debootstrap >/dev/null && return 0
    log "installing debootstrap (apt-get)"
    # Valid-Until: the mirror may serve a frozen snapshot (see configure_root).
    install_debootstrap() {
        apt-get update -qq -o Acquire::Check-Valid-Until=false &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                debootstrap >/dev/null
    }
    retry 3 "apt-get install debootstrap" install_debootstrap
}

root_stamp() {
    echo "$CHROOT_FORMAT $SID_SUITE $(debian_mirror) $CHROOT_INCLUDE $CHROOT_APT_PACKAGES" |
        sha256sum | cut -d' ' -f1
}

# in_root ROOT COMMAND...: run COMMAND inside ROOT, in a private mount namespace with /proc,
# /dev (+ a fresh /dev/shm), /sys and the uv cache mounted; they vanish when it exits.
in_root() {
    local root="$1"
    shift
    local env_args=(
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
        REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
        PIP_CERT=/etc/ssl/certs/ca-certificates.crt
        UV_CACHE_DIR="$ROOT_UV_CACHE" UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
    )
    local name
    for name in "${PASS_VARIABLES[@]}"; do
        if [ -n "${!name+x}" ]; then
            env_args+=("$name=${!name}")
        fi
    done
    mkdir -p "$LATEST_HOME/uv-cache" "$root$ROOT_UV_CACHE"
    # The host's DNS settings (replacing a symlink a package may have put there).
    if [ -e /etc/resolv.conf ]; then
        rm -f "$root/etc/resolv.conf"
        cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    fi
    # The mounts happen in the new namespace only; `exec chroot` keeps it alive exactly as long
    # as the command.
    unshare --mount --propagation private -- /bin/bash -euc '
        root="$1"; cache="$2"; shift 2
        mount -t proc proc "$root/proc"
        mount --bind /sys "$root/sys"
        mount --bind /dev "$root/dev"
        mkdir -p "$root/dev/shm"
        mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
        mount --bind "$cache" "$root'"$ROOT_UV_CACHE"'"
        exec chroot "$root" /usr/bin/env -i "$@"
    ' in_root "$root" "$LATEST_HOME/uv-cache" "${env_args[@]}" "$@"
}

# configure_root ROOT: trust the host's extra CA certificates (pip and uv fail with
# CERTIFICATE_VERIFY_FAILED otherwise), pip's config, and the packages apt-get adds.
configure_root() {
    local root="$1"
    mkdir -p "$root/usr/local/share/ca-certificates"
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    fi
    # (It warns about the bundle file itself, which holds many certificates: not a problem.)
    in_root "$root" update-ca-certificates 2>&1 | { grep -v '^rehash: warning: skipping ca-certificates.crt' || true; } >&2
    if [ -f /etc/pip.conf ]; then
        cp /etc/pip.conf "$root/etc/pip.conf"
    fi
    # The mirror may serve a frozen snapshot whose Release file is past its Valid-Until date
    # (apt then refuses it; debootstrap does not check). Signatures are still checked.
    echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99lifx-script"
    # One try of update+install per retry: a half-updated list is fetched again.
    retry 4 "apt-get install $CHROOT_APT_PACKAGES (in the root)" in_root "$root" /bin/sh -c \
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends $CHROOT_APT_PACKAGES >/dev/null"
    in_root "$root" apt-get clean
}

# ensure_root: a sid root with Python 3.14, built once and reused while its stamp matches.
ensure_root() {
    local stamp building="$SID_ROOT.building"
    stamp="$(root_stamp)"
    if [ -f "$SID_ROOT/.lifx_script-stamp" ] && [ "$(cat "$SID_ROOT/.lifx_script-stamp")" = "$stamp" ] &&
        [ -x "$SID_ROOT/usr/bin/python3.14" ]; then
        return 0
    fi
    ensure_debootstrap
    local mirror
    mirror="$(debian_mirror)"
    log "building a Debian $SID_SUITE root with Python 3.14 in $SID_ROOT (from $mirror; a few minutes)"
    # debootstrap mounts /proc and /sys in the target itself: in a namespace of its own, so a
    # killed build leaves nothing mounted. A failed try starts again from an empty folder.
    build_once() {
        remove_tree "$building"
        unshare --mount --propagation private -- debootstrap --variant=minbase \
            --include="$CHROOT_INCLUDE" "$SID_SUITE" "$building" "$mirror" \
            >"$LATEST_HOME/debootstrap.log" 2>&1 || {
            log "debootstrap failed; the end of its log ($LATEST_HOME/debootstrap.log):"
            tail -n 15 "$LATEST_HOME/debootstrap.log" >&2
            return 1
        }
    }
    mkdir -p "$LATEST_HOME"
    retry 3 "debootstrap $SID_SUITE" build_once
    configure_root "$building"
    echo "$stamp" >"$building/.lifx_script-stamp"
    remove_tree "$SID_ROOT"
    mv "$building" "$SID_ROOT"
}

# sync_checkout: copy the checkout's files (tracked and untracked, not ignored: what the working
# tree holds, as leg 1 tests it) into the root; .venv and .venv-emulator point at the root's venvs.
sync_checkout() {
    local dest="$SID_ROOT$ROOT_CHECKOUT"
    remove_tree "$dest"
    mkdir -p "$dest"
    (
        cd "$REPO_ROOT"
        if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
            git ls-files -z --cached --others --exclude-standard -- ':!.venv*' |
                while IFS= read -r -d '' file; do
                    if [ -e "$file" ] || [ -L "$file" ]; then printf '%s\0' "$file"; fi
                done | tar --null -T - -cf -
        else
            tar --exclude=./.git --exclude='./.venv*' --exclude=./.cache --exclude=__pycache__ -cf - .
        fi
    ) | tar -xf - -C "$dest"
    ln -s "$ROOT_WORK/venv" "$dest/.venv"
    ln -s "$ROOT_WORK/venv-emulator" "$dest/.venv-emulator"
}

# root_pids: processes running inside the root (their root directory is it).
root_pids() {
    local root proc
    root="$(realpath -m "$SID_ROOT")"
    for proc in /proc/[0-9]*; do
        if [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ]; then
            echo "${proc#/proc/}"
        fi
    done
}

# stop_root_processes: end what still runs inside the root (a hass or an emulator a killed
# test left behind), by pid: SIGTERM, then SIGKILL after 10 s.
stop_root_processes() {
    local pids pid waited=0
    pids="$(root_pids)"
    [ -n "$pids" ] || return 0
    log "stopping processes left inside the root: $(echo "$pids" | tr '\n' ' ')"
    for pid in $pids; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    while [ -n "$(root_pids)" ] && [ "$waited" -lt 10 ]; do
        sleep 1
        waited=$((waited + 1))
    done
    for pid in $(root_pids); do
        kill -KILL "$pid" 2>/dev/null || true
    done
}
