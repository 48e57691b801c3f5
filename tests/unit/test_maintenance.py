"""The nightly maintenance: only long-delivered bundle files go; nothing undelivered is touched."""

from datetime import datetime, timedelta

from kiosk import config as config_module
from kiosk.cli import main
from kiosk.maintenance import compact_outbox
from kiosk.outbox import Outbox


def test_compaction_removes_only_files_of_bundles_delivered_long_ago(tmp_path):
    outbox = Outbox(tmp_path)
    for bundle_id, case in (("delivered", "1"), ("waiting", "2")):
        outbox.bundle_path(bundle_id).write_bytes(b"sealed bundle")
        outbox.add(bundle_id, case, "senior-age-allowance", "0" * 64, {})
    outbox.delivered("delivered", {"received_at": "…"})
    assert compact_outbox(outbox, keep_days=30) == 0  # delivered today: kept
    month_later = datetime.now().astimezone() + timedelta(days=31)
    assert compact_outbox(outbox, keep_days=30, now=month_later) == 1
    assert not outbox.bundle_path("delivered").exists() and outbox.bundle_path("waiting").exists()
    assert outbox.get("delivered").receipt == {"received_at": "…"}  # the record and receipt stay
    outbox.close()


def test_maintenance_reports_a_clock_it_could_not_check(tmp_path, capsys):
    path = tmp_path / "kiosk.toml"
    config_module.update_file(
        path, {"terminal.data_dir": str(tmp_path / "data"), "backoffice.url": "http://127.0.0.1:9"}
    )
    assert main(["--config", str(path), "maintenance"]) == 1
    out = capsys.readouterr().out
    assert "clock     NOT OK" in out and "0 delivered bundle files removed" in out
