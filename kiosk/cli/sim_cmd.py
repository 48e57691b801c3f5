"""kiosk sim idcard|printer|sigpad: one simulator on a pty, scripted by lines on standard input.

Prints the pty path, then serves until stopped (Ctrl+C, SIGTERM or `quit`).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from kiosk.sim import people
from kiosk.sim.idcard import SCRIPT_HELP, IdCardSimulator
from kiosk.sim.printer import PrinterSimulator
from kiosk.sim.sigpad import SignaturePadSimulator, from_strokes_mm

HELP = {
    "idcard": SCRIPT_HELP,
    "printer": "paper-out | near-end | cover-open | offline | silent | paper-left LINES | cutter-jam | stall SECONDS | ok | quit",
    "sigpad": "silent | replay sig.json | ok | quit",
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("sim", help="run one simulated device on a pseudo-terminal")
    parser.add_argument("device", choices=sorted(HELP))
    parser.add_argument("--baud", type=int, help="pace output at this rate (default: the device's)")
    parser.add_argument("--out", type=Path, default=Path("sim-receipts"), help="printer: where receipts go")
    parser.add_argument(
        "--link",
        type=Path,
        help="idcard: keep this symlink pointing at the pty (like udev's /dev/kiosk/idcard)",
    )
    parser.set_defaults(func=simulate)


def simulate(args: argparse.Namespace) -> int:
    make = {
        "idcard": lambda: IdCardSimulator(
            args.baud or 115200, link=args.link, queue=[make() for make in people.ALL_TYPES.values()]
        ),
        "printer": lambda: PrinterSimulator(args.baud or 115200, output_dir=args.out),
        "sigpad": lambda: SignaturePadSimulator(args.baud or 38400),
    }
    sim = make[args.device]().start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"port: {getattr(sim, 'path', sim.port)}", flush=True)
    print(f"commands: {HELP[args.device]}", flush=True)
    threading.Thread(target=read_commands, args=(sim, args.device, stop), daemon=True).start()
    try:
        stop.wait()
    finally:
        sim.stop()
    return 0


def read_commands(sim, device: str, stop: threading.Event) -> None:
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        print("ok" if apply(sim, device, words) else f"? {HELP[device]}", flush=True)
    else:
        return  # end of input: keep serving until a signal
    stop.set()


def apply(sim, device: str, words: list[str]) -> bool:
    if device == "idcard":
        return sim.script(" ".join(words))
    command, rest = words[0], words[1:]
    if device == "printer" and apply_printer(sim, command, rest):
        return True
    if device == "sigpad" and command == "replay" and rest:
        return replay_signature(sim, Path(rest[0]))
    flags = {
        "printer": {
            "paper-out": "paper_out",
            "near-end": "paper_near_end",
            "cover-open": "cover_open",
            "offline": "offline",
            "silent": "silent",
        },
        "sigpad": {"silent": "silent"},
    }[device]
    if command == "ok":
        for attribute in flags.values():
            setattr(sim, attribute, False)
        if device == "printer":
            sim.load_paper()
        return True
    if command in flags:
        setattr(sim, flags[command], True)
        return True
    return False


def apply_printer(sim: PrinterSimulator, command: str, rest: list[str]) -> bool:
    """Faults that take a number: paper that runs out mid-receipt, a stall, a jammed cutter."""
    try:
        if command == "paper-left" and rest:
            sim.paper_lines_left = int(rest[0])
        elif command == "stall" and rest:
            sim.stall(float(rest[0]))
        elif command == "cutter-jam":
            sim.cutter_jams = True
        else:
            return False
    except ValueError:
        return False
    return True


def replay_signature(sim: SignaturePadSimulator, path: Path) -> bool:
    """Replay a signature recorded with `kiosk devices sign` from now on."""
    try:
        strokes = json.loads(path.read_text(encoding="utf-8"))["strokes"]
        sim.signature = from_strokes_mm(strokes)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return False
    return True
