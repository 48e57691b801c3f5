"""kiosk bundle seal|open: seal a folder into one bundle, or verify and open one into a folder.

Any failure is one line naming the reason and a non-zero exit; nothing partial is left behind.
"""

from __future__ import annotations

import argparse
import json
import uuid
from pathlib import Path

from kiosk import bundle, keys
from kiosk.crypto.suites import SUITES
from kiosk.errors import BundleError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("bundle", help="seal a folder into a bundle, or open one")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    seal = actions.add_parser("seal", help="seal every file under --src into one bundle file")
    seal.add_argument(
        "--src",
        type=Path,
        required=True,
        help="folder to seal (application.json, if any, is the application)",
    )
    seal.add_argument("--device-key", type=Path, required=True, help="this terminal's device.key")
    seal.add_argument("--recipient", type=Path, required=True, help="the township's township.pub")
    seal.add_argument("--suite", choices=sorted(SUITES), help="insist on this suite (the keys decide it)")
    seal.add_argument("--out", type=Path, required=True, help="bundle file to write (must not exist)")
    seal.add_argument("--kiosk-id", help="terminal id in the header (default: terminal.id in the config)")
    seal.add_argument("--service", default="unspecified", help="service code in the header")
    seal.add_argument("--bundle-id", help="32 hex digits (default: a new random id)")
    seal.set_defaults(func=seal_folder)

    opener = actions.add_parser("open", help="verify a bundle and write its files to a new folder")
    opener.add_argument("bundle", type=Path)
    opener.add_argument("--key", type=Path, required=True, help="the township's township.key")
    opener.add_argument("--trust", type=Path, required=True, help="the sealing terminal's device.pub")
    opener.add_argument("--out", type=Path, required=True, help="folder to create (must not exist)")
    opener.add_argument("--manifest", type=Path, help="also write the manifest JSON to this file")
    opener.set_defaults(func=open_bundle)


def application_manifest(src: Path) -> dict:
    """The manifest fields taken from src/application.json when it holds a JSON object."""
    path = src / "application.json"
    if not path.is_file():
        return {}
    try:
        application = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleError("BUNDLE_SOURCE", file=str(path), reason="not JSON") from None
    if not isinstance(application, dict):
        raise BundleError("BUNDLE_SOURCE", file=str(path), reason="not a JSON object")
    lifted = {k: application[k] for k in ("case_number", "supersedes") if isinstance(application.get(k), str)}
    return {"application": application, **lifted}


def seal_folder(args: argparse.Namespace) -> int:
    device_key = keys.load_device_key(args.device_key)
    recipient = keys.load_township_public(args.recipient)
    if args.suite and recipient.suite.name != args.suite:
        raise BundleError("KEY_SUITE_MISMATCH", device=args.suite, township=recipient.suite.name)
    if args.out.exists():
        raise BundleError("BUNDLE_OUTPUT_EXISTS", file=str(args.out))
    sealed = bundle.seal(
        sources=bundle.from_folder(args.src),
        manifest=application_manifest(args.src),
        bundle_id=args.bundle_id or uuid.uuid4().hex,
        kiosk_id=args.kiosk_id or args.load_config().terminal.id,
        service_code=args.service,
        device_key=device_key,
        recipient=recipient,
        out=args.out,
    )
    print(f"sealed {sealed.bundle_id} ({sealed.header.suite.name}): {args.out}, digest {sealed.digest}")
    return 0


def open_bundle(args: argparse.Namespace) -> int:
    township = keys.load_township_private(args.key)
    trusted = keys.load_device_public(args.trust)
    opened = bundle.open_to_folder(args.bundle, township, lambda kiosk_id: trusted, args.out)
    if args.manifest:
        keys.write_file(
            args.manifest, json.dumps(opened.manifest, ensure_ascii=False, indent=1).encode(), 0o600
        )
    files = opened.manifest["files"]
    print(
        f"opened {opened.header.bundle_id} from {opened.header.kiosk_id} ({opened.header.suite.name}): "
        f"{len(files)} files, {sum(f['size'] for f in files)} bytes in {args.out}"
    )
    return 0
