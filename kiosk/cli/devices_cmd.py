"""kiosk devices …: talk to one device directly (technicians, scripts, tests)."""

from __future__ import annotations

import argparse
import base64
import json
import time
from pathlib import Path

from kiosk import receipts, signature
from kiosk.devices.idcard import CardData, IdCardReader, WltDecoder, commands
from kiosk.devices.printer import ReceiptPrinter
from kiosk.devices.signature_pad import SignaturePad
from kiosk.errors import IdCardError, KioskError
from kiosk.i18n import tr


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("devices", help="use one device directly")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    register_idcard(actions)
    register_printer_and_pad(actions)


# --- ID-card reader ---

CARD_KEYS = (
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
)


def register_idcard(actions: argparse._SubParsersAction) -> None:
    read_id = actions.add_parser(
        "read-id",
        help="wait for an ID card, read it once, print its data",
        description="Exit 0 after a good read; on any failure one line naming it and exit status 2.",
    )
    read_id.add_argument("--port", required=True, help="the reader's serial port, e.g. /dev/kiosk/idcard")
    read_id.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for a card (default 30)"
    )
    read_id.add_argument("--json", action="store_true", help="print one JSON object")
    read_id.add_argument("--baud", type=int, help="line speed (default: devices.idcard.baud)")
    read_id.add_argument(
        "--appended-address",
        action="store_true",
        help="also read the newest appended address (extra.appended_address)",
    )
    read_id.set_defaults(func=read_id_card)
    info = actions.add_parser("idcard-info", help="print the reader's status and SAM id")
    info.add_argument("--port", required=True)
    info.add_argument("--baud", type=int, help="line speed to talk at (default: devices.idcard.baud)")
    info.add_argument("--set-baud", type=int, metavar="BAUD", help="first switch the reader to this speed")
    info.set_defaults(func=idcard_info)
    register_detect(actions)


def register_detect(actions: argparse._SubParsersAction) -> None:
    detect = actions.add_parser(
        "detect", help="probe every serial port for the ID-card reader, the printer and the pad"
    )
    detect.add_argument("--port", action="append", help="probe only this port (repeatable)")
    detect.add_argument("--timeout", type=float, default=0.5, help="seconds to wait for each answer")
    detect.add_argument("--write", action="store_true", help="write the ports found into the config file")
    detect.set_defaults(func=detect_devices)


def idcard_reader(args: argparse.Namespace) -> IdCardReader:
    settings = args.load_config().devices.idcard
    decoder = WltDecoder(settings.photo_decoder) if settings.photo_decoder else None
    return IdCardReader(
        args.port,
        args.baud or settings.baud,
        settings.command_timeout_s,
        settings.read_timeout_s,
        decoder,
        settings.read_attempts,
    )


def card_json(card: CardData) -> dict:
    """The `read-id --json` contract: these keys, always all of them."""
    data: dict = {key: getattr(card, key) for key in CARD_KEYS}
    data["raw_text_b64"] = base64.b64encode(card.raw_text).decode()
    data["raw_photo_b64"] = base64.b64encode(card.raw_photo).decode()
    data["extra"] = dict(card.extra)
    return data


def read_id_card(args: argparse.Namespace) -> int:
    reader = idcard_reader(args)
    deadline = time.monotonic() + args.timeout
    with reader:
        while (card := reader.read_card_if_present(appended_address=args.appended_address)) is None:
            if time.monotonic() >= deadline:
                raise IdCardError("IDCARD_NO_CARD", detail=f"no card within {args.timeout:g} s")
            time.sleep(min(0.3, max(0.0, deadline - time.monotonic())))
    data = card_json(card)
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
        return 0
    for key in CARD_KEYS:
        print(f"{key:11} {data[key]}")
    for key, value in data["extra"].items():
        print(f"{key:11} {value}")
    return 0


def detect_devices(args: argparse.Namespace) -> int:
    from kiosk import config as config_module
    from kiosk import detect

    config = args.load_config()
    ports = args.port or detect.serial_ports()
    found = detect.detect(ports, config.devices, timeout=args.timeout)
    for device in found:
        print(f"{device.role:8} {device.port}" + (f"  {device.baud} baud" if device.baud else ""))
    print(f"{len(found)} of {len(ports)} ports answered")
    if args.write and found:
        path = args.config or config_module.default_path() or config_module.DEFAULT_PATH
        config_module.update_file(path, detect.config_values(found))
        print(f"written to {path}")
    return 0 if found else 1


def idcard_info(args: argparse.Namespace) -> int:
    with idcard_reader(args) as reader:
        if args.set_baud:
            reader.set_baud(args.set_baud)
        sw3 = reader.status()
        print(f"port      {args.port} ({reader.baud} baud)")
        print(f"status    {sw3:02X} {commands.status_meaning(sw3)}")
        if sw3 != commands.SW_OK:
            raise commands.status_error(commands.STATUS, sw3)
        sam = reader.sam_id()
        print(f"SAM id    {sam.text}")
        print(f"SAM bytes {sam.raw.hex(' ')}")
    return 0


# --- receipt printer and signature pad ----------------------------------------------------------


def register_printer_and_pad(actions: argparse._SubParsersAction) -> None:
    test = actions.add_parser("print-test", help="print the technician's test page")
    receipt = actions.add_parser("print-receipt", help="print an acceptance receipt from RECEIPT.json")
    receipt.add_argument("--data", type=Path, required=True, metavar="RECEIPT.json")
    receipt.add_argument("--reprint", action="store_true", help="mark it as a reprint (补打)")
    receipt.add_argument("--preview", type=Path, metavar="PNG", help="also write the receipt as a PNG")
    for command in (test, receipt):
        command.add_argument("--port", required=True, help="/dev/ttyUSB0, /dev/usb/lp0 or socket://host:9100")
        command.add_argument("--baud", type=int, help="default: devices.printer.baud")
        command.add_argument(
            "--profile", help="printer model or profile file (default: devices.printer.profile)"
        )
        command.add_argument("--flow-control", choices=["none", "rtscts", "xonxoff"])
    test.set_defaults(func=print_test)
    receipt.set_defaults(func=print_receipt)
    sign = actions.add_parser("sign", help="capture one signature on the pad into a JSON file")
    sign.add_argument("--port", required=True)
    sign.add_argument("--out", type=Path, required=True, metavar="sig.json")
    sign.add_argument(
        "--baud", type=int, help="default: devices.sigpad.baud (the other ISDV4 rate is tried too)"
    )
    sign.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for a signature")
    sign.add_argument("--done-after", type=float, default=3.0, help="seconds of lifted pen that end it")
    sign.set_defaults(func=capture_signature)


def _printer(args: argparse.Namespace) -> ReceiptPrinter:
    config = args.load_config().devices.printer
    return ReceiptPrinter(
        args.port,
        args.baud or config.baud,
        args.profile or config.profile,
        args.flow_control or config.flow_control,
        config.status_timeout_s,
        config.finish_timeout_s,
    )


def _report_print(result) -> None:
    print(tr("printing.printed", bytes=result.bytes_sent))
    if result.paper_near_end:
        print(tr("printing.paper_low"))


def print_test(args: argparse.Namespace) -> int:
    terminal = args.load_config().terminal
    with _printer(args) as device:
        page = device.profile.page
        data = receipts.test_page_data(device.profile.name, args.port, terminal.id, page)
        _report_print(device.print_ops(receipts.test_page_ops(data, page)))
    return 0


def print_receipt(args: argparse.Namespace) -> int:
    """Check RECEIPT.json completely before the printer is touched: a bad file prints nothing."""
    try:
        table = json.loads(args.data.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KioskError("FILE_MISSING", file=str(args.data)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise KioskError("FILE_UNREADABLE", file=str(args.data), reason=str(e)) from None
    data = receipts.check_receipt_json(table, str(args.data))
    data["terminal_location"] = args.load_config().terminal.location
    with _printer(args) as device:
        ops = receipts.acceptance_receipt_ops(data, device.profile.page, reprint=args.reprint)
        if args.preview:
            receipts.render_png(ops, device.profile.dots_per_line).save(args.preview)
        _report_print(device.print_ops(ops))
    return 0


def capture_signature(args: argparse.Namespace) -> int:
    config = args.load_config().devices.sigpad
    with SignaturePad(args.port, args.baud or config.baud, profile=config.profile) as pad:
        print(tr("printing.sign_now", seconds=f"{args.done_after:g}"), flush=True)
        strokes = pad.capture(args.timeout, args.done_after)
        assert pad.info is not None
        info = pad.info
    signature.check(strokes)
    series = signature.time_series(strokes, info.max_pressure)
    record = {
        "pad": {
            "max_x": info.max_x,
            "max_y": info.max_y,
            "max_pressure": info.max_pressure,
            "version": info.version,
        },
        "units": {"x": "mm", "y": "mm", "pressure": "0..1", "t": "ms"},
        "strokes": strokes,
        "iso19794_7_b64": base64.b64encode(signature.encode_19794_7(series)).decode(),
    }
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    tmp.replace(args.out)
    print(tr("printing.signed", points=sum(len(s) for s in strokes), strokes=len(strokes)))
    return 0
