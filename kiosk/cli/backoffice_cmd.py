"""kiosk backoffice serve: the township back office (needs the `backoffice` extra)."""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path

from kiosk import keys
from kiosk.errors import KioskError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("backoffice", help="the township back office (乡镇后台)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = actions.add_parser("serve", help="serve the back office over HTTP")
    serve.add_argument("--data", type=Path, required=True, help="data folder (SQLite, bundles, cases)")
    serve.add_argument("--key", type=Path, help="township private key (default: DATA/township.key)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8787)
    serve.set_defaults(func=serve_backoffice)


def is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_backoffice(args: argparse.Namespace) -> int:
    if not is_loopback(args.host):
        raise KioskError("BACKOFFICE_PLAIN_HTTP", host=args.host)
    try:
        import uvicorn

        from kiosk.backoffice.app import create_app
    except ImportError:
        raise KioskError("BACKOFFICE_NOT_INSTALLED") from None
    township = keys.load_township_private(args.key or args.data / "township.key")
    uvicorn.run(create_app(args.data, township), host=args.host, port=args.port, log_level="info")
    return 0
