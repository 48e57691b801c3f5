"""kiosk demo: one resident transaction on simulated devices against the embedded back office."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from kiosk.demo import DEMO_SERVICE, DemoResult, DemoRig, run_headless


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo", help="run one transaction on simulated devices (Kivy under Xvfb, or --headless)"
    )
    parser.add_argument("--headless", action="store_true", help="drive the flow controller without Kivy")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object (case_number, bundle_id, receipt, verified)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="screenshots, receipts and the demo world (default: demo-output)",
    )
    parser.add_argument("--service", default=DEMO_SERVICE, help=f"service code (default: {DEMO_SERVICE})")
    parser.set_defaults(func=demo)


def demo(args: argparse.Namespace) -> int:
    base = args.load_config()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kiosk-demo-") as scratch:
        world = Path(scratch)
        with DemoRig(world, base) as rig:
            if args.headless:
                result = run_headless(rig, args.service)
            else:
                from kiosk.screens import run_with_ui

                result = run_with_ui(rig, args.service, args.out / "screens")
            result.receipt = keep(result.receipt, args.out)
    report(result, args.json)
    return 0 if result.verified else 1


def keep(receipt_png: str, out: Path) -> str:
    """Copy the printed receipt out of the scratch world so it outlives the demo."""
    if not receipt_png:
        return ""
    target = out / "receipt.png"
    target.write_bytes(Path(receipt_png).read_bytes())
    return str(target.resolve())


def report(result: DemoResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.as_json(), ensure_ascii=False))
        return
    print(f"受理编号 case number : {result.case_number}")
    print(f"申请包 bundle id     : {result.bundle_id}")
    print(f"回执 receipt         : {result.receipt}")
    print(f"乡镇后台已验证 verified by the back office: {'是 yes' if result.verified else '否 NO'}")
    if result.screenshots:
        print(f"截图 screenshots     : {len(result.screenshots)} in {Path(result.screenshots[0]).parent}")
