"""Logs of a whole transaction, at every level, hold neither the resident's name nor ID number."""

import io
import logging

from kiosk.demo import run_headless
from kiosk.log import JsonFormatter


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_full_transaction_logs_nothing_personal(rig):
    stream = io.StringIO()
    written = logging.StreamHandler(stream)
    written.setFormatter(JsonFormatter())
    raw = Keep()
    root = logging.getLogger()
    old_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(written)
    root.addHandler(raw)
    try:
        result = run_headless(rig)
    finally:
        root.removeHandler(written)
        root.removeHandler(raw)
        root.setLevel(old_level)
    assert result.verified
    lines = stream.getvalue()
    assert '"event": "flow.step"' in lines and '"event": "flow.session_end"' in lines
    # What the code handed to logging, before any redaction: messages and every extra field.
    handed = "\n".join(f"{r.getMessage()} {r.__dict__!r}" for r in raw.records)
    for secret in (rig.resident.name, rig.resident.id_number, rig.resident.id_number[-8:]):
        assert secret not in lines
        assert secret not in handed
    assert "redacted" not in lines
