"""The back office's settings: one optional TOML file (default DATA/backoffice.toml), every key defaulted.

Loaded and checked like the terminal's config (file, line and key named on a mistake). No I/O beyond
reading the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kiosk import schema
from kiosk.errors import ConfigError

FILE_NAME = "backoffice.toml"


@dataclass
class NotifierSettings:
    kind: Literal["log", "http"] = "log"
    log_file: str = ""  # default DATA/sms.log
    url: str = ""  # the SMS gateway (kind = "http"): POST {"to", "text"} as JSON
    token: str = ""  # sent as "Authorization: Bearer <token>" when set
    timeout_s: float = 10.0


@dataclass
class Settings:
    township_name: str = "示例镇便民服务中心"  # signs text messages: 【township_name】
    database: str = "sqlite"  # "sqlite", "sqlite:///PATH" or "postgresql://…"
    township_key: str = ""  # default DATA/township.key
    max_bundle_bytes: int = 256 * 1024 * 1024
    session_idle_s: float = 30 * 60.0
    session_max_s: float = 10 * 3600.0
    enrolment_code_ttl_h: float = 72.0
    clock_window_s: float = 15 * 60.0  # how far a kiosk's signed request time may be from ours
    status_tries: int = 5  # wrong ID-number tails on the public status page before a pause
    status_window_s: float = 15 * 60.0
    secure_cookies: bool = False  # set by `serve` when it speaks HTTPS
    notifier: NotifierSettings = field(default_factory=NotifierSettings)


def load(data_dir: Path, path: Path | None = None) -> Settings:
    """`path`, else DATA/backoffice.toml if it exists, else the defaults."""
    path = path or data_dir / FILE_NAME
    if not path.exists() and path == data_dir / FILE_NAME:
        return Settings()
    return schema.load(Settings, path, ConfigError)
