#!/bin/sh
# install.sh: turns a stock Debian 12 / Ubuntu 24.04 box into a locked-down kiosk terminal, or
# (--uninstall) takes it back out. Idempotent: a second run changes nothing. Never overwrites the
# terminal's configuration (/etc/kiosk) or its data (/var/lib/kiosk).
set -eu

usage() {
    cat <<'USAGE'
Usage: install.sh [--root DIR] [--offline BUNDLE] [--release ARTIFACT] [--release-key PUB] [--no-apt]
       install.sh [--root DIR] --uninstall [--purge]
  --root DIR          install into a staging tree instead of / (no Debian packages, no services started)
  --offline BUNDLE    an unpacked offline bundle (build-offline-bundle.sh): .deb files, release, key
  --release ARTIFACT  the signed release to install (kiosk-VERSION.release.tar)
  --release-key PUB   the public key releases are signed with (pinned at /etc/kiosk/keys/release.pub)
  --no-apt            do not install Debian packages
  --uninstall         remove the units, rules, session and /opt/kiosk; keep /etc/kiosk and /var/lib/kiosk
  --purge             with --uninstall: remove /etc/kiosk and /var/lib/kiosk as well (outbox included)
USAGE
}

die() { echo "install.sh: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
ROOT=/
OFFLINE=
RELEASE=
RELEASE_KEY=
APT=yes
ACTION=install
PURGE=no
while [ $# -gt 0 ]; do
    case $1 in
        --root) ROOT=${2:?--root needs a folder}; shift 2 ;;
        --offline) OFFLINE=${2:?--offline needs a folder}; shift 2 ;;
        --release) RELEASE=${2:?--release needs a file}; shift 2 ;;
        --release-key) RELEASE_KEY=${2:?--release-key needs a file}; shift 2 ;;
        --no-apt) APT=no; shift ;;
        --uninstall) ACTION=uninstall; shift ;;
        --purge) PURGE=yes; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
R=${ROOT%/}
[ -z "$R" ] && [ "$(id -u)" != 0 ] && die "run as root (or give --root STAGE)"
[ -z "$R" ] || mkdir -p "$R"
CHANGED=0

# What this script puts on the box: source (in deploy/), destination, mode.
FILES="
bin/kiosk /opt/kiosk/bin/kiosk 0755
session/kiosk-session /opt/kiosk/bin/kiosk-session 0755
session/kiosk-xsession /opt/kiosk/bin/kiosk-xsession 0755
kiosk-release /opt/kiosk/bin/kiosk-release 0755
udev/kiosk-udev-rules /opt/kiosk/bin/kiosk-udev-rules 0755
README.md /opt/kiosk/share/README.md 0644
session/xorg-kiosk.conf /etc/X11/xorg.conf.d/10-kiosk.conf 0644
systemd/kiosk.service /etc/systemd/system/kiosk.service 0644
systemd/kiosk-maintenance.service /etc/systemd/system/kiosk-maintenance.service 0644
systemd/kiosk-maintenance.timer /etc/systemd/system/kiosk-maintenance.timer 0644
system/system-kiosk.conf /etc/systemd/system.conf.d/kiosk.conf 0644
system/logind-kiosk.conf /etc/systemd/logind.conf.d/kiosk.conf 0644
system/journald-kiosk.conf /etc/systemd/journald.conf.d/kiosk.conf 0644
system/sysctl-kiosk.conf /etc/sysctl.d/90-kiosk.conf 0644
system/sysusers-kiosk.conf /etc/sysusers.d/kiosk.conf 0644
system/tmpfiles-kiosk.conf /etc/tmpfiles.d/kiosk.conf 0644
"
RULES=/etc/udev/rules.d/70-kiosk-devices.rules
UNITS="kiosk.service kiosk-maintenance.timer"

changed() { CHANGED=$((CHANGED + 1)); echo "  $*"; }

# put SRC DEST MODE: copy when the content or the mode differs.
put() {
    dest=$R$2
    if [ -f "$dest" ] && cmp -s "$1" "$dest" && [ "$(stat -c %a "$dest")" = "${3#0}" ]; then
        return 0
    fi
    install -D -m "$3" "$1" "$dest"
    changed "installed $2"
}

# seed SRC DEST MODE GROUP: copy only if DEST does not exist (the technician's file from then on).
seed() {
    [ -e "$R$2" ] && return 0
    install -D -m "$3" "$1" "$R$2"
    chgrp "$4" "$R$2" 2>/dev/null || chgrp "$(awk -F: -v g="$4" '$1 == g { print $3 }' "$R/etc/group")" "$R$2"
    changed "created $2"
}

missing_packages() {
    grep -Ev '^[[:space:]]*(#|$)' "$here/apt-packages.txt" | while read -r package; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'ok installed' || echo "$package"
    done
}

install_packages() {
    if [ -n "$R" ]; then
        echo "staging tree: Debian packages are not installed into $R (list: deploy/apt-packages.txt)"
        return 0
    fi
    [ "$APT" = yes ] || return 0
    missing=$(missing_packages | tr '\n' ' ')
    [ -n "$missing" ] || return 0
    if [ -n "$OFFLINE" ]; then
        # shellcheck disable=SC2046  # one argument per .deb file
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(find "$OFFLINE/debs" -name '*.deb' | sort)
    else
        apt-get update
        # shellcheck disable=SC2086  # one argument per package name
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
    fi
    changed "installed Debian packages: $missing"
}

users_and_folders() {
    put "$here/system/sysusers-kiosk.conf" /etc/sysusers.d/kiosk.conf 0644
    put "$here/system/tmpfiles-kiosk.conf" /etc/tmpfiles.d/kiosk.conf 0644
    if ! user_complete; then
        systemd-sysusers --root="$ROOT" "$R/etc/sysusers.d/kiosk.conf"
        changed "created user kiosk and its device groups"
    fi
    systemd-tmpfiles --create --root="$ROOT" "$R/etc/tmpfiles.d/kiosk.conf"
}

# user_complete: the kiosk user exists and is in every group the sysusers file names.
user_complete() {
    grep -q '^kiosk:' "$R/etc/passwd" 2>/dev/null || return 1
    awk '$1 == "m" && $2 == "kiosk" { print $3 }' "$here/system/sysusers-kiosk.conf" | while read -r group; do
        grep -Eq "^$group:[^:]*:[^:]*:(.*,)?kiosk(,|$)" "$R/etc/group" || echo "$group"
    done | grep -q . && return 1
    return 0
}

release_files() {
    if [ -n "$OFFLINE" ]; then
        [ -n "$RELEASE" ] || RELEASE=$(find "$OFFLINE" -maxdepth 1 -name 'kiosk-*.release.tar' | sort | tail -n 1)
        [ -n "$RELEASE_KEY" ] || RELEASE_KEY=$OFFLINE/release.pub
    fi
    if [ -n "$RELEASE_KEY" ]; then
        [ -r "$RELEASE_KEY" ] || die "cannot read the release key $RELEASE_KEY"
        key=$R/etc/kiosk/keys/release.pub
        if [ -f "$key" ] && ! cmp -s "$RELEASE_KEY" "$key"; then
            die "$key already pins another release key; replace it by hand if that is intended"
        fi
        seed "$RELEASE_KEY" /etc/kiosk/keys/release.pub 0644 root
    fi
}

install_app() {
    release_files
    if [ -z "$RELEASE" ]; then
        [ -L "$R/opt/kiosk/current" ] && return 0
        die "no release to install: give --release ARTIFACT (or --offline BUNDLE)"
    fi
    before=$(readlink "$R/opt/kiosk/current" 2>/dev/null || true)
    if ! output=$("$here/kiosk-release" --root "$ROOT" apply "$RELEASE" 2>&1); then
        echo "$output" >&2
        die "the release was not installed"
    fi
    echo "$output" | grep -v 'is already current' || true
    after=$(readlink "$R/opt/kiosk/current" 2>/dev/null || true)
    [ -n "$after" ] || die "the release did not install"
    [ "$before" = "$after" ] || changed "app release: $after"
}

install_files() {
    while read -r src dest mode; do
        [ -z "$src" ] || put "$here/$src" "$dest" "$mode"
    done <<LIST
$FILES
LIST
    seed "$here/kiosk.toml.example" /etc/kiosk/kiosk.toml 0640 kiosk
    seed "$here/udev/usb-devices.txt" /etc/kiosk/usb-devices.txt 0644 root
    if [ "$(readlink "$R/usr/local/bin/kiosk" 2>/dev/null)" != /opt/kiosk/bin/kiosk ]; then
        mkdir -p "$R/usr/local/bin"
        ln -sfn /opt/kiosk/bin/kiosk "$R/usr/local/bin/kiosk"
        changed "linked /usr/local/bin/kiosk"
    fi
    rules=$(mktemp)
    "$here/udev/kiosk-udev-rules" "$R/etc/kiosk/usb-devices.txt" >"$rules" || { rm -f "$rules"; exit 1; }
    put "$rules" "$RULES" 0644
    rm -f "$rules"
}

enable_units() {
    for unit in $UNITS; do
        [ -L "$R/etc/systemd/system/$(wants_of "$unit")/$unit" ] && continue
        systemctl --root="$ROOT" --quiet enable "$unit" 2>/dev/null
        changed "enabled $unit"
    done
    if [ "$(readlink "$R/etc/systemd/system/ctrl-alt-del.target" 2>/dev/null)" != /dev/null ]; then
        systemctl --root="$ROOT" --quiet mask ctrl-alt-del.target 2>/dev/null
        changed "masked ctrl-alt-del.target"
    fi
}

wants_of() {
    case $1 in
        *.timer) echo timers.target.wants ;;
        *) echo multi-user.target.wants ;;
    esac
}

reload_running_system() {
    [ -z "$R" ] && [ -d /run/systemd/system ] || return 0
    [ "$CHANGED" -gt 0 ] || return 0
    systemctl daemon-reload
    udevadm control --reload && udevadm trigger --subsystem-match=tty --subsystem-match=video4linux --subsystem-match=usbmisc
    sysctl --quiet --system >/dev/null 2>&1 || true
}

next_steps() {
    cat <<'STEPS'

Next steps (deploy/README.md, "Enrol the terminal"):
  1. Edit /etc/kiosk/kiosk.toml: [terminal] id, number, name, type, location, maintainer,
     maintainer_phone; [backoffice] url.
  2. Plug in the devices, then:  kiosk devices detect --write
  3. kiosk keys init --dir /etc/kiosk/keys; copy the township's township.pub into /etc/kiosk/keys;
     give the printed fingerprint and the one-time code to the township back office.
  4. systemctl start kiosk.service  (it also starts by itself at every boot)
STEPS
}

do_install() {
    install_packages
    users_and_folders
    install_files
    install_app
    enable_units
    reload_running_system
    if [ "$CHANGED" -eq 0 ]; then
        echo "nothing to change: the terminal is installed"
    else
        next_steps
    fi
}

do_uninstall() {
    for unit in $UNITS; do
        systemctl --root="$ROOT" --quiet disable "$unit" 2>/dev/null || true
    done
    systemctl --root="$ROOT" --quiet unmask ctrl-alt-del.target 2>/dev/null || true
    while read -r src dest _mode; do
        [ -z "$src" ] || rm -f "$R$dest"
    done <<LIST
$FILES
LIST
    rm -f "$R$RULES" "$R/usr/local/bin/kiosk"
    rm -rf "$R/opt/kiosk"
    for folder in /etc/X11/xorg.conf.d /etc/X11 /etc/systemd/system.conf.d /etc/systemd/logind.conf.d \
        /etc/systemd/journald.conf.d; do  # ours when empty; stock folders stay
        rmdir "$R$folder" 2>/dev/null || true
    done
    if [ "$PURGE" = yes ]; then
        rm -rf "$R/etc/kiosk" "$R/var/lib/kiosk"
        echo "removed the terminal, its configuration and its data"
    else
        echo "removed the terminal; kept /etc/kiosk and /var/lib/kiosk (--purge removes them)"
    fi
    [ -z "$R" ] && [ -d /run/systemd/system ] && systemctl daemon-reload
    return 0
}

case $ACTION in
    install) do_install ;;
    uninstall) do_uninstall ;;
esac
