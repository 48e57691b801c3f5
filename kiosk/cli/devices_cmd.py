"""kiosk devices …: talk to one device directly (technicians, scripts, tests)."""

from __future__ import annotations

import argparse
import base64
import json
import time

from kiosk.devices.idcard import CardData, IdCardReader
from kiosk.errors import IdCardError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("devices", help="use one device directly")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    read_id = actions.add_parser("read-id", help="wait for an ID card, read it once, print its data")
    read_id.add_argument("--port", required=True)
    read_id.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a card")
    read_id.add_argument("--json", action="store_true", help="print one JSON object")
    read_id.set_defaults(func=read_id_card)
    info = actions.add_parser("idcard-info", help="print the reader's SAM id and status")
    info.add_argument("--port", required=True)
    info.set_defaults(func=idcard_info)


def card_json(card: CardData) -> dict:
    return {
        "card_type": card.card_type,
        "name": card.name,
        "name_en": card.name_en,
        "sex": card.sex,
        "nation": card.nation,
        "birth_date": card.birth_date,
        "address": card.address,
        "id_number": card.id_number,
        "issuer": card.issuer,
        "valid_from": card.valid_from,
        "valid_to": card.valid_to,
        "photo": card.photo,
        "raw_text_b64": base64.b64encode(card.raw_text).decode(),
        "raw_photo_b64": base64.b64encode(card.raw_photo).decode(),
        "extra": card.extra,
    }


def read_id_card(args: argparse.Namespace) -> int:
    deadline = time.monotonic() + args.timeout
    with IdCardReader(args.port) as reader:
        while True:
            try:
                card = reader.read_card()
                break
            except IdCardError as e:
                if e.code != "IDCARD_NO_CARD" or time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
    data = card_json(card)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        for key in (
            "card_type",
            "name",
            "name_en",
            "sex",
            "nation",
            "birth_date",
            "address",
            "id_number",
            "issuer",
            "valid_from",
            "valid_to",
            "photo",
        ):
            print(f"{key:11} {data[key]}")
    return 0


def idcard_info(args: argparse.Namespace) -> int:
    with IdCardReader(args.port) as reader:
        print(f"SAM id: {reader.sam_id()}")
        print(f"status: {'OK' if reader.status_ok() else 'fault'}")
    return 0
