"""The terminal's configuration: one TOML file, every key with a default.

Loading checks every key and type and names file, line and key on any mistake. No Kivy, no I/O
beyond reading the file.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomli_w

from kiosk import schema
from kiosk.errors import ConfigError

DEFAULT_PATH = Path("/etc/kiosk/kiosk.toml")


@dataclass
class TerminalConfig:
    id: str = "KIOSK-DEMO-0001"
    number: int = 1  # four digits in every case number printed by this terminal
    # The device ID card (设备身份证) reported with every heartbeat: name, type, location, maintainer.
    name: str = "示例村便民服务站自助终端"
    type: str = "立式自助服务终端"
    location: str = "示例县示例镇示例村村民委员会"
    maintainer: str = ""
    maintainer_phone: str = ""
    hotline: str = "12345"
    data_dir: str = "/var/lib/kiosk"
    language: Literal["zh_CN", "en"] = "zh_CN"
    idle_timeout_s: float = 60.0  # no touch this long: a countdown starts
    idle_countdown_s: float = 20.0  # then the session ends and is wiped (WCAG 2.2.1: >= 20 s to extend)
    status_url: str = "http://127.0.0.1:8787/status"
    speech: bool = True  # spoken guidance (espeak-ng); the mute button silences one session
    technician_pin_hash: str = ""  # `kiosk diagnostics pin-hash`; empty: diagnostics cannot be entered
    export_dir: str = "/media/usb"  # where diagnostics exports logs (a mounted USB stick)


@dataclass
class ScreenConfig:
    width_px: int = 1920
    height_px: int = 1080
    width_mm: float = 476.0  # 21.5-inch 16:9 panel; makes millimetre touch targets real
    height_mm: float = 268.0
    fullscreen: bool = True
    elderly_mode: bool = False


@dataclass
class IdCardConfig:
    port: str = "/dev/kiosk/idcard"
    baud: int = 115200
    poll_interval_s: float = 0.5
    command_timeout_s: float = 0.5
    read_timeout_s: float = 3.0
    read_attempts: int = 3  # a read that fails after the card was found is tried again from find
    disconnect_after: int = 3  # probes in a row that miss before the reader counts as disconnected
    idle_check_s: float = 10.0  # status check while no card is wanted, to notice an unplugged reader
    photo_decoder: str = ""  # path of the reader vendor's WLT library; empty: photo unavailable


@dataclass
class PrinterConfig:
    port: str = "/dev/kiosk/printer"
    baud: int = 115200
    profile: str = "generic-80mm"
    flow_control: Literal["none", "rtscts", "xonxoff"] = "none"
    status_timeout_s: float = 0.5
    finish_timeout_s: float = 20.0  # from the last byte sent to the printer's "printed" (GS r) reply
    status_poll_s: float = 60.0  # status check between jobs (paper near end for the heartbeat)


@dataclass
class SignaturePadConfig:
    port: str = "/dev/kiosk/sigpad"  # empty: no pad, sign on the touch screen
    baud: int = 38400
    profile: str = "isdv4"


@dataclass
class CameraConfig:
    source: str = "/dev/kiosk/camera"  # a V4L2 device, a video file or a folder of images
    width: int = 4160
    height: int = 3120
    fourcc: str = "MJPG"
    preview_width: int = 1000
    exposure: float = -1.0  # V4L2 exposure value; -1: automatic
    focus: float = -1.0  # V4L2 focus value; -1: automatic
    auto_capture: bool = True  # capture a page by itself once it has lain still and sharp
    hold_s: float = 1.2  # how long it must lie still (the countdown ring)


@dataclass
class DevicesConfig:
    idcard: IdCardConfig = field(default_factory=IdCardConfig)
    printer: PrinterConfig = field(default_factory=PrinterConfig)
    sigpad: SignaturePadConfig = field(default_factory=SignaturePadConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)


@dataclass
class BackofficeConfig:
    url: str = "http://127.0.0.1:8787"  # https:// for anything but loopback
    township_key: str = "/etc/kiosk/keys/township.pub"
    tls_certificate: str = ""  # pinned: the township CA or the back office's own certificate (PEM)
    tls_fingerprint: str = ""  # optional: SHA-256 of the back office's certificate, also pinned
    timeout_s: float = 20.0
    retry_min_s: float = 0.5  # back-off after a failure; doubles per failure without progress
    retry_max_s: float = 1800.0
    poll_interval_s: float = 60.0  # decisions and the agent register, fetched from the back office
    chunk_kib: int = 256  # one tus PATCH; a dropped link costs at most this much
    bandwidth_kbit: int = 0  # upload cap for a shared or metered link; 0: none


@dataclass
class HealthConfig:
    heartbeat_interval_s: float = 300.0
    clock_tolerance_s: float = 30.0  # receipts and signatures carry times
    disk_low_bytes: int = 2_000_000_000
    upload_stale_hours: float = 4.0
    disconnect_after_misses: int = 3  # a device that flickers once is not "disconnected"
    keep_delivered_days: int = 30  # delivered bundle files are removed by the nightly maintenance after this


@dataclass
class KeysConfig:
    dir: str = "/etc/kiosk/keys"
    suite: Literal["modern", "gm"] = "modern"


@dataclass
class Config:
    terminal: TerminalConfig = field(default_factory=TerminalConfig)
    screen: ScreenConfig = field(default_factory=ScreenConfig)
    devices: DevicesConfig = field(default_factory=DevicesConfig)
    backoffice: BackofficeConfig = field(default_factory=BackofficeConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    keys: KeysConfig = field(default_factory=KeysConfig)

    @property
    def data_dir(self) -> Path:
        return Path(self.terminal.data_dir)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())


def default_path() -> Path | None:
    """The file `kiosk` reads when --config is not given: $KIOSK_CONFIG, else /etc/kiosk/kiosk.toml."""
    env = os.environ.get("KIOSK_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_PATH if DEFAULT_PATH.exists() else None


def load(path: Path | None) -> Config:
    """Read a config file; None gives the built-in defaults."""
    if path is None:
        return Config()
    return schema.load(Config, path, ConfigError)


def update_file(path: Path, values: dict[str, Any]) -> None:
    """Set dotted keys (e.g. "devices.printer.port") in a config file, keeping its comments and layout.

    The result is checked by loading it before it atomically replaces the file."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    for dotted, value in values.items():
        table, key = dotted.rsplit(".", 1)
        _set_line(lines, table, key, tomli_w.dumps({key: value}).strip())
    text = "\n".join(lines) + "\n"
    tmp = path.with_name(f".{path.name}.new")
    tmp.write_text(text, encoding="utf-8")
    try:
        load(tmp)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _set_line(lines: list[str], table: str, key: str, assignment: str) -> None:
    header = f"[{table}]"
    if header not in (line.strip() for line in lines):
        lines.extend(["", header, assignment])
        return
    start = next(i for i, line in enumerate(lines) if line.strip() == header) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
    for i in range(start, end):
        if lines[i].split("=", 1)[0].strip() == key:
            lines[i] = assignment
            return
    last = max((i for i in range(start, end) if lines[i].strip()), default=start - 1)
    lines.insert(last + 1, assignment)


def with_overrides(config: Config, overrides: dict[str, Any]) -> Config:
    """A copy with dotted-key overrides, e.g. {"devices.idcard.port": "/dev/pts/3"}."""
    table = config.to_dict()
    for dotted, value in overrides.items():
        *parents, leaf = dotted.split(".")
        node = table
        for name in parents:
            node = node[name]
        node[leaf] = value
    return schema.build(Config, table, schema.Source("<overrides>", "", ConfigError))
