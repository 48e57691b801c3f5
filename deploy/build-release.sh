#!/bin/sh
# Builds a signed release artifact of the kiosk app (vendor side, never on a terminal):
# kiosk-VERSION.release.tar = VERSION, wheels/ (the app and every dependency), SHA256SUMS and its
# Ed25519 signature SHA256SUMS.sig. Terminals check it with kiosk-release and the pinned public key.
set -eu

usage() {
    cat <<'USAGE'
Usage: build-release.sh --key RELEASE_KEY.pem --out DIR [--source DIR] [--wheels DIR]
  --key     the release signing key (Ed25519 PEM; make one with
            openssl genpkey -algorithm ed25519 -out release.key, publish
            openssl pkey -in release.key -pubout -out release.pub)
  --out     where to write kiosk-VERSION.release.tar
  --source  the project folder (default: the one holding this script)
  --wheels  a folder of dependency wheels to use instead of the package index (offline builds)
Environment: PYTHON (default python3) runs pip.
USAGE
}

die() { echo "build-release: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
SOURCE=$(dirname "$here")
KEY=
OUT=
WHEELS=
while [ $# -gt 0 ]; do
    case $1 in
        --key) KEY=${2:?}; shift 2 ;;
        --out) OUT=${2:?}; shift 2 ;;
        --source) SOURCE=${2:?}; shift 2 ;;
        --wheels) WHEELS=${2:?}; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
if [ -z "$KEY" ] || [ -z "$OUT" ]; then usage >&2; exit 2; fi
[ -r "$KEY" ] || die "cannot read the signing key $KEY"
[ -f "$SOURCE/pyproject.toml" ] || die "$SOURCE has no pyproject.toml"
PYTHON=${PYTHON:-python3}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/release/wheels" "$OUT"
OUT=$(cd "$OUT" && pwd)
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$work/release/wheels" "$SOURCE" ||
    die "building the kiosk wheel failed"
if [ -n "$WHEELS" ]; then
    "$PYTHON" -m pip wheel --quiet --no-index --find-links "$WHEELS" --find-links "$work/release/wheels" \
        --wheel-dir "$work/release/wheels" "$(ls "$work"/release/wheels/kiosk-*.whl)" ||
        die "a dependency is missing from $WHEELS"
else
    "$PYTHON" -m pip wheel --quiet --wheel-dir "$work/release/wheels" "$(ls "$work"/release/wheels/kiosk-*.whl)" ||
        die "downloading the dependencies failed"
fi
wheel=$(basename "$(ls "$work"/release/wheels/kiosk-*.whl)")
version=$(echo "$wheel" | cut -d- -f2)

cd "$work/release"
printf '%s\n' "$version" >VERSION
find VERSION wheels -type f | sort | xargs sha256sum >SHA256SUMS
openssl pkeyutl -sign -inkey "$KEY" -rawin -in SHA256SUMS -out SHA256SUMS.sig || die "signing failed (an Ed25519 key?)"
artifact=$OUT/kiosk-$version.release.tar
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$artifact.tmp" VERSION SHA256SUMS SHA256SUMS.sig wheels
mv "$artifact.tmp" "$artifact"
echo "$artifact"
