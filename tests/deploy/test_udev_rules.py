"""The udev rules, parsed and matched against sample device properties (Debian 12's udevadm has no
`verify`): stable /dev/kiosk names, the kiosk user's groups, and nothing for unknown devices."""

import fnmatch
import re
import subprocess
from dataclasses import dataclass, field

import pytest
from stage_tools import DEPLOY

GENERATOR = DEPLOY / "udev" / "kiosk-udev-rules"
TABLE = DEPLOY / "udev" / "usb-devices.txt"
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "TAG", "OPTIONS", "GOTO"}
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "KERNEL", "ATTR", "ATTRS", "ENV"}
TERM = re.compile(r'\s*([A-Z]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|:=|=)\s*"([^"]*)"\s*(?:,|$)')


def parse(rules: str) -> list[list[tuple[str, str | None, str, str]]]:
    """Each rule line as (key, attribute, operator, value) terms; any other syntax fails the test."""
    parsed = []
    for number, line in enumerate(rules.splitlines(), 1):
        if not line.strip() or line.startswith("#") or line.startswith("LABEL="):
            continue
        terms, position = [], 0
        while position < len(line):
            match = TERM.match(line, position)
            assert match, f"line {number}: cannot parse from {line[position:]!r}"
            key, _attribute, operator, _value = match.groups()
            assert key in ASSIGN_KEYS | MATCH_KEYS, f"line {number}: unknown key {key}"
            assert (operator in ("==", "!=")) == (key in MATCH_KEYS), f"line {number}: {key}{operator}"
            terms.append(match.groups())
            position = match.end()
        parsed.append(terms)
    return parsed


@dataclass
class Device:
    """What udev knows of a device: its own properties and the attributes of its USB parents."""

    subsystem: str
    kernel: str
    attrs: dict = field(default_factory=dict)
    parents: list[dict] = field(default_factory=list)
    env: dict = field(default_factory=dict)
    action: str = "add"


def matches(term, device: Device) -> bool:
    key, attribute, _, pattern = term
    values = {
        "ACTION": [device.action],
        "SUBSYSTEM": [device.subsystem],
        "KERNEL": [device.kernel],
        "ATTR": [device.attrs.get(attribute)],
        "ATTRS": [device.attrs.get(attribute)] + [p.get(attribute) for p in device.parents],
        "ENV": [device.env.get(attribute)],
    }[key]
    hit = any(v is not None and fnmatch.fnmatchcase(v, pattern) for v in values)
    return hit if term[2] == "==" else not hit


def apply(rules, device: Device) -> dict:
    result = {"SYMLINK": [], "GROUP": None, "MODE": None, "TAG": []}
    for rule in rules:
        conditions = [t for t in rule if t[0] in MATCH_KEYS]
        if not all(matches(t, device) for t in conditions):
            continue
        for key, _, operator, value in rule:
            if key == "GOTO":
                return result
            if key in ("SYMLINK", "TAG"):
                result[key] = result[key] + [value] if operator == "+=" else [value]
            elif key in ("GROUP", "MODE"):
                result[key] = value
    return result


def usb(vendor, product, serial=None):
    return [{"idVendor": vendor, "idProduct": product, **({"serial": serial} if serial else {})}]


def generated(table=TABLE) -> str:
    return subprocess.run([GENERATOR, table], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def rules():
    return parse(generated())


def test_a_known_receipt_printer_gets_its_stable_name_and_the_dialout_group(rules):
    tty = Device("tty", "ttyACM0", parents=usb("0416", "5011"))
    assert apply(rules, tty) == {"SYMLINK": ["kiosk/printer"], "GROUP": "dialout", "MODE": "0660", "TAG": []}
    usblp = Device("usbmisc", "lp0", parents=usb("04b8", "0202"))
    assert apply(rules, usblp)["SYMLINK"] == ["kiosk/printer"] and apply(rules, usblp)["GROUP"] == "lp"


def test_a_generic_usb_serial_bridge_gets_no_role_only_its_group(rules):
    result = apply(rules, Device("tty", "ttyUSB0", parents=usb("1a86", "7523")))
    assert result["SYMLINK"] == [] and result["GROUP"] == "dialout" and result["TAG"] == ["kiosk_bridge"]


def test_the_first_capture_node_of_a_uvc_camera_is_the_camera(rules):
    env = {"ID_V4L_CAPABILITIES": ":capture:"}
    capture = Device("video4linux", "video0", attrs={"index": "0"}, parents=usb("1234", "abcd"), env=env)
    metadata = Device("video4linux", "video1", attrs={"index": "1"}, parents=usb("1234", "abcd"), env=env)
    assert apply(rules, capture)["SYMLINK"] == ["kiosk/camera"] and apply(rules, capture)["GROUP"] == "video"
    assert apply(rules, metadata)["SYMLINK"] == []


def test_unknown_devices_and_removals_are_left_alone(rules):
    assert apply(rules, Device("tty", "ttyUSB1", parents=usb("ffff", "0001"))) == {
        "SYMLINK": [], "GROUP": None, "MODE": None, "TAG": [],
    }  # fmt: skip
    assert (
        apply(rules, Device("tty", "ttyACM0", parents=usb("0416", "5011"), action="remove"))["SYMLINK"] == []
    )


def test_a_technician_line_with_a_serial_number_pins_one_reader(tmp_path):
    table = tmp_path / "usb-devices.txt"
    table.write_text(TABLE.read_text() + "idcard 1a86 7523 CVR100-0042 华视 CVR-100U at the counter\n")
    rules = parse(generated(table))
    ours = Device("tty", "ttyUSB0", parents=usb("1a86", "7523", "CVR100-0042"))
    other = Device("tty", "ttyUSB1", parents=usb("1a86", "7523", "OTHER"))
    assert apply(rules, ours)["SYMLINK"] == ["kiosk/idcard"]
    assert apply(rules, other)["SYMLINK"] == []


def test_no_rule_ever_hands_a_device_to_root_or_to_everyone(rules):
    for rule in rules:
        for key, _, _, value in rule:
            assert not (key == "GROUP" and value == "root")
            assert not (key == "MODE" and value[-1] != "0"), value


def test_a_bad_table_line_is_refused_with_its_line_number(tmp_path):
    table = tmp_path / "usb-devices.txt"
    table.write_text("printer 0416 50x1 * typo\n")
    result = subprocess.run([GENERATOR, table], capture_output=True, text=True)
    assert result.returncode != 0 and "line 1" in result.stderr and "4 hex digits" in result.stderr
