#!/bin/sh
# Builds the offline installer for a village box with no usable network: one tar holding install.sh
# and the deploy files, a signed release (the app and every wheel), the release public key, and the
# .deb files of apt-packages.txt with all their dependencies. Build it on the target's Debian release.
set -eu

usage() {
    cat <<'USAGE'
Usage: build-offline-bundle.sh --release ARTIFACT --release-key PUB --out DIR [--no-debs]
  --release      a signed release artifact (build-release.sh)
  --release-key  its public key, pinned on the terminal at install
  --out          where to write kiosk-offline-VERSION.tar
  --no-debs      leave the Debian packages out (boxes that have them, or a test)
On the terminal: tar -xf kiosk-offline-VERSION.tar && sudo ./kiosk-offline-VERSION/deploy/install.sh \
  --offline ./kiosk-offline-VERSION
USAGE
}

die() { echo "build-offline-bundle: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
RELEASE=
KEY=
OUT=
DEBS=yes
while [ $# -gt 0 ]; do
    case $1 in
        --release) RELEASE=${2:?}; shift 2 ;;
        --release-key) KEY=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --no-debs) DEBS=no; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
if [ -z "$RELEASE" ] || [ -z "$KEY" ] || [ -z "$OUT" ]; then usage >&2; exit 2; fi
"$here/kiosk-release" --key "$KEY" verify "$RELEASE" >/dev/null || die "the release does not verify with $KEY"
version=$(tar -xOf "$RELEASE" VERSION)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bundle=$work/kiosk-offline-$version
mkdir -p "$bundle/debs"
cp -R "$here" "$bundle/deploy"
cp "$RELEASE" "$bundle/"
cp "$KEY" "$bundle/release.pub"
if [ "$DEBS" = yes ]; then
    packages=$(grep -Ev '^[[:space:]]*(#|$)' "$here/apt-packages.txt" | tr '\n' ' ')
    # Every package the list needs, down to libc: a blank box may lack any of them.
    # shellcheck disable=SC2086  # one argument per package name
    closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances $packages | grep -E '^[a-z0-9]' | sort -u)
    # shellcheck disable=SC2086
    (cd "$bundle/debs" && apt-get download $closure) || die "downloading the Debian packages failed"
fi
(cd "$bundle" && find . -type f | sort | xargs sha256sum >"$work/SHA256SUMS")
mv "$work/SHA256SUMS" "$bundle/SHA256SUMS"
tar -C "$work" -cf "$OUT/kiosk-offline-$version.tar" "kiosk-offline-$version"
echo "$OUT/kiosk-offline-$version.tar"
