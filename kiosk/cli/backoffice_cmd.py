"""kiosk backoffice serve|user|enrol-code|revoke|export|openapi: the township back office
(needs the `backoffice` extra).

Every sub-command works on one data folder (--data) and its optional backoffice.toml.
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from kiosk import keys
from kiosk.errors import KioskError

if TYPE_CHECKING:  # the back office is an optional extra: import it only when a command needs it
    from kiosk.backoffice.settings import Settings
    from kiosk.backoffice.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("backoffice", help="the township back office (乡镇后台)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_text: str, func) -> argparse.ArgumentParser:
        command = actions.add_parser(name, help=help_text)
        command.add_argument(
            "--data", type=Path, required=True, help="data folder (database, bundles, cases)"
        )
        command.add_argument("--settings", type=Path, help="settings file (default: DATA/backoffice.toml)")
        command.set_defaults(func=func)
        return command

    serve = action("serve", "serve the back office (HTTPS with --tls-cert/--tls-key)", serve_backoffice)
    serve.add_argument("--key", type=Path, help="township private key (default: DATA/township.key)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8787)
    serve.add_argument("--tls-cert", type=Path, help="the township's certificate (PEM)")
    serve.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")

    user = action(
        "user", "create a staff account or set its password (asked for, or one line on stdin)", add_user
    )
    user.add_argument("username")
    user.add_argument("--name", default="", help="the name shown on pages and in the decision log")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    code = action("enrol-code", "create a one-time enrolment code for a kiosk", enrol_code)
    code.add_argument("--village", required=True, help="the village the kiosk serves")
    code.add_argument("--kiosk-id", default="", help="only this kiosk id may use the code")
    code.add_argument("--ttl-hours", type=float, help="validity (default from settings: 72)")

    revoke = action(
        "revoke", "revoke a stolen or retired kiosk (its later bundles are quarantined)", revoke_kiosk
    )
    revoke.add_argument("kiosk_id")
    revoke.add_argument("--reason", default="停用")

    export = action("export", "write a case's files to a folder (verified and decrypted again)", export_case)
    export.add_argument("case_number")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--key", type=Path, help="township private key (default: DATA/township.key)")

    openapi = actions.add_parser("openapi", help="print the API's OpenAPI document")
    openapi.add_argument("--out", type=Path, help="write it to this file instead")
    openapi.set_defaults(func=write_openapi)


def _backoffice() -> ModuleType:
    """The back-office modules, or a plain error when the extra is not installed."""
    try:
        import kiosk.backoffice.app as app_module
    except ImportError:
        raise KioskError("BACKOFFICE_NOT_INSTALLED") from None
    return app_module


def _settings(args: argparse.Namespace) -> Settings:
    from kiosk.backoffice import settings

    return settings.load(args.data, args.settings)


def _store(args: argparse.Namespace) -> Store:
    from kiosk.backoffice.store import open_store

    return open_store(_settings(args).database, args.data)


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_backoffice(args: argparse.Namespace) -> int:
    tls = args.tls_cert is not None or args.tls_key is not None
    if tls and not (args.tls_cert and args.tls_key):
        raise KioskError("BACKOFFICE_TLS_PAIR")
    if not tls and not is_loopback(args.host):
        raise KioskError("BACKOFFICE_PLAIN_HTTP", host=args.host)
    app_module = _backoffice()
    import uvicorn

    settings = _settings(args)
    settings.secure_cookies = tls
    township = keys.load_township_private(
        args.key or Path(settings.township_key or args.data / "township.key")
    )
    app = app_module.create_app(args.data, township, settings)
    ssl = {"ssl_certfile": str(args.tls_cert), "ssl_keyfile": str(args.tls_key)} if tls else {}
    # A stop (systemd, Ctrl+C) waits at most 10 s for kiosks' open connections.
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", timeout_graceful_shutdown=10, **ssl)
    return 0


def add_user(args: argparse.Namespace) -> int:
    _backoffice()
    from kiosk.backoffice import staff

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码 password: ")
        if getpass.getpass("再输一次 again: ") != password:
            print("kiosk: 两次输入的密码不一致 / the passwords differ", file=sys.stderr)
            return 1
    store = _store(args)
    staff.add_user(store, args.username, args.name, password)
    print(f"staff account: {args.username}")
    return 0


def enrol_code(args: argparse.Namespace) -> int:
    _backoffice()
    from kiosk.backoffice import enrolment

    ttl = args.ttl_hours if args.ttl_hours is not None else _settings(args).enrolment_code_ttl_h
    code = enrolment.new_code(_store(args), args.village, "cli", ttl, args.kiosk_id)
    print(f"登记码 enrolment code: {code}  ({ttl:g} h, once)")
    return 0


def revoke_kiosk(args: argparse.Namespace) -> int:
    _backoffice()
    if not _store(args).revoke_kiosk(args.kiosk_id, args.reason):
        print(
            f"kiosk: {args.kiosk_id}: 不是已登记且在用的终端 / not an enrolled, active kiosk", file=sys.stderr
        )
        return 1
    print(f"revoked: {args.kiosk_id}")
    return 0


def export_case(args: argparse.Namespace) -> int:
    _backoffice()
    from kiosk.backoffice.export import export_case as export

    settings = _settings(args)
    township = keys.load_township_private(
        args.key or Path(settings.township_key or args.data / "township.key")
    )
    out = export(_store(args), township, args.case_number, args.out)
    print(f"case {args.case_number}: {out}")
    return 0


def write_openapi(args: argparse.Namespace) -> int:
    text = _backoffice().openapi_text()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
