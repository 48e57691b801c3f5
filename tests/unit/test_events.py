"""The event catalog is the single list of log event ids, and the code keeps to it."""

import ast
import io
import json
import logging
from pathlib import Path

import kiosk
from kiosk import events
from kiosk.cli import main
from kiosk.log import JsonFormatter

PACKAGE = Path(kiosk.__file__).parent
DOCS = PACKAGE.parent / "docs" / "events.md"
LEVEL_OF_METHOD = {
    "debug": "debug",
    "info": "info",
    "warning": "warning",
    "error": "error",
    "exception": "error",
}


def logged_events() -> list[tuple[str, str, object]]:
    """(where, logging method, event value) for every `extra={"event": …}` in the package."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            for keyword in node.keywords:
                if keyword.arg == "extra" and isinstance(keyword.value, ast.Dict):
                    for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                        if isinstance(key, ast.Constant) and key.value == "event":
                            event = value.value if isinstance(value, ast.Constant) else ast.dump(value)
                            found.append((f"{path.name}:{node.lineno}", node.func.attr, event))
    return found


def test_every_event_id_used_in_the_code_is_in_the_catalog():
    used = logged_events()
    assert len(used) >= 10
    unknown = [(where, event) for where, _, event in used if event not in events.catalog()]
    assert unknown == [], "add these to kiosk/events.toml (ids must be string literals)"


def test_the_code_logs_each_event_at_its_catalog_level():
    catalog = events.catalog()
    wrong = [
        (where, method, event)
        for where, method, event in used_with_known_level(catalog)
        if LEVEL_OF_METHOD[method] != catalog[event].level
    ]
    assert wrong == []


def used_with_known_level(catalog):
    return [(w, m, e) for w, m, e in logged_events() if m in LEVEL_OF_METHOD and e in catalog]


def test_catalog_entries_are_complete():
    for event in events.catalog().values():
        assert event.type in events.TYPES and event.role in events.ROLES, event.id
        assert event.doc and event.doc_zh, event.id
        assert event.level in ("debug", "info", "warning", "error"), event.id


def test_docs_are_generated_from_the_catalog():
    assert DOCS.read_text(encoding="utf-8") == events.markdown(), (
        "run: kiosk events --markdown > docs/events.md"
    )


def test_cli_lists_every_event(capsys):
    assert main(["events"]) == 0
    assert capsys.readouterr().out.count("\n") == len(events.catalog())


def format_one(**extra) -> dict:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    try:
        logger.warning("paper %s", "low", extra=extra)
    finally:
        logger.removeHandler(handler)
    return json.loads(stream.getvalue())


def test_a_log_line_is_one_json_object_with_event_role_and_outcome():
    line = format_one(event="printer.paper_low", device="printer")
    assert line["event"] == "printer.paper_low" and line["message"] == "paper low"
    assert line["role"] == "system" and line["outcome"] == "na" and line["device"] == "printer"
    assert line["level"] == "warning" and "T" in line["ts"]


def test_personal_fields_and_id_numbers_never_reach_a_log_line():
    line = format_one(event="flow.step", card={"name": "王建国"}, note="number 11010519491231002X")
    assert "card" not in line and line["redacted_fields"] == ["card"]
    assert "11010519491231002X" not in json.dumps(line) and line["redacted_id_number"] is True
