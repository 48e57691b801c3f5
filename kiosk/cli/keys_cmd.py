"""kiosk keys init|township|enrol|tls-ca|tls-server: terminal and township keys, enrolment by
one-time code, and the TLS certificates of a small township."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from kiosk import keys, tls
from kiosk.crypto.suites import SUITES
from kiosk.enrolment import enrol


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "keys", help="create the terminal's or a township's keys; enrol; TLS certificates"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    init = actions.add_parser("init", help="create this terminal's signing key (device.key 0600, device.pub)")
    township = actions.add_parser(
        "township", help="create a township key pair (township.key 0600, township.pub)"
    )
    for command, func in ((init, init_device), (township, init_township)):
        command.add_argument("--dir", type=Path, required=True)
        command.add_argument(
            "--suite", choices=sorted(SUITES), help="cipher suite (default: keys.suite in the config)"
        )
        command.add_argument("--force", action="store_true", help="replace an existing key")
        command.set_defaults(func=func)

    enrol_cmd = actions.add_parser(
        "enrol", help="enrol this terminal with the back office by a one-time code"
    )
    enrol_cmd.add_argument("--url", required=True, help="the back office, e.g. https://township.example:8787")
    enrol_cmd.add_argument("--code", required=True, help="the one-time code from the township")
    enrol_cmd.add_argument("--dir", type=Path, help="keys folder (default: keys.dir in the config)")
    enrol_cmd.add_argument("--kiosk-id", help="this terminal's id (default: terminal.id in the config)")
    enrol_cmd.add_argument(
        "--township", type=Path, help="where to write township.pub (default: backoffice.township_key)"
    )
    enrol_cmd.add_argument(
        "--tls-certificate", help="pinned certificate (default: backoffice.tls_certificate)"
    )
    enrol_cmd.set_defaults(func=enrol_terminal)

    ca = actions.add_parser("tls-ca", help="create a small township CA (ca.crt for terminals, ca.key 0600)")
    ca.add_argument("--dir", type=Path, required=True)
    ca.add_argument("--name", default="Township back office CA")
    ca.add_argument("--force", action="store_true")
    ca.set_defaults(func=create_ca)

    server = actions.add_parser(
        "tls-server", help="create the back office's certificate (server.crt, server.key)"
    )
    server.add_argument("--dir", type=Path, required=True)
    server.add_argument("--host", action="append", required=True, help="DNS name or IP address (repeatable)")
    server.add_argument("--ca", type=Path, help="folder of the township CA; without it: self-signed")
    server.add_argument("--force", action="store_true")
    server.set_defaults(func=create_server_certificate)


def refuse_overwrite(path: Path, force: bool) -> bool:
    if path.exists() and not force:
        print(f"kiosk: {path} exists; keeping it (use --force to replace) / 密钥已存在，未覆盖")
        return True
    return False


def chosen_suite(args: argparse.Namespace) -> keys.Suite:
    return keys.suite_named(args.suite or args.load_config().keys.suite)


def init_device(args: argparse.Namespace) -> int:
    if refuse_overwrite(args.dir / "device.key", args.force):
        return 1
    key = keys.create_device_key(args.dir, chosen_suite(args))
    print(f"device key: {args.dir / 'device.key'} ({key.public.suite.name})")
    print(f"fingerprint: {keys.fingerprint(key.public)}")
    return 0


def init_township(args: argparse.Namespace) -> int:
    if refuse_overwrite(args.dir / "township.key", args.force):
        return 1
    key = keys.create_township_key(args.dir, chosen_suite(args))
    print(f"township key: {args.dir / 'township.key'} ({key.suite.name})\nkey id: {key.public.key_id}")
    return 0


def enrol_terminal(args: argparse.Namespace) -> int:
    config = args.load_config()
    directory = args.dir or Path(config.keys.dir)
    pin = config.backoffice.tls_certificate if args.tls_certificate is None else args.tls_certificate
    record = enrol(
        tls.pinned_session(args.url, pin, config.backoffice.tls_fingerprint),
        args.url,
        args.code,
        args.kiosk_id or config.terminal.id,
        keys.load_device_key(directory / "device.key"),
        args.township or Path(config.backoffice.township_key),
        directory / "enrolment.json",
        config.backoffice.timeout_s,
    )
    print(f"enrolled {record.kiosk_id} ({record.suite}) / 登记成功\ntownship key id: {record.key_id}")
    return 0


def create_ca(args: argparse.Namespace) -> int:
    return write_certificate(
        args,
        "ca.key",
        lambda: tls.create_ca(args.dir, args.name),
        "township CA",
        "give this file to every terminal",
    )


def create_server_certificate(args: argparse.Namespace) -> int:
    return write_certificate(
        args,
        "server.key",
        lambda: tls.create_server_certificate(args.dir, args.host, args.ca),
        "server certificate",
        "serve with --tls-cert/--tls-key",
    )


def write_certificate(
    args: argparse.Namespace, key_name: str, create: Callable[[], Path], what: str, hint: str
) -> int:
    """Create a key and certificate unless the key exists; print where it is and its fingerprint."""
    if refuse_overwrite(args.dir / key_name, args.force):
        return 1
    certificate = create()
    print(f"{what}: {certificate} ({hint})")
    print(f"fingerprint: {tls.certificate_fingerprint(certificate)}")
    return 0
