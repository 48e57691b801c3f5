"""kiosk keys init|township: the terminal's signing key and a township key pair."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk import keys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("keys", help="create the terminal's or a township's keys")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser("init", help="create this terminal's signing key (device.key 0600, device.pub)")
    init.add_argument("--dir", type=Path, required=True)
    init.add_argument("--force", action="store_true", help="replace an existing key")
    init.set_defaults(func=init_device)
    township = actions.add_parser(
        "township", help="create a township key pair (township.key 0600, township.pub)"
    )
    township.add_argument("--dir", type=Path, required=True)
    township.add_argument("--force", action="store_true", help="replace an existing key")
    township.set_defaults(func=init_township)


def refuse_overwrite(path: Path, force: bool) -> bool:
    if path.exists() and not force:
        print(f"kiosk: {path} exists; keeping it (use --force to replace) / 密钥已存在，未覆盖")
        return True
    return False


def init_device(args: argparse.Namespace) -> int:
    if refuse_overwrite(args.dir / "device.key", args.force):
        return 1
    key = keys.create_device_key(args.dir)
    print(f"device key: {args.dir / 'device.key'}\nfingerprint: {keys.fingerprint(key.public_key())}")
    return 0


def init_township(args: argparse.Namespace) -> int:
    if refuse_overwrite(args.dir / "township.key", args.force):
        return 1
    key = keys.create_township_key(args.dir)
    print(f"township key: {args.dir / 'township.key'}\nkey id: {key.public.key_id}")
    return 0
