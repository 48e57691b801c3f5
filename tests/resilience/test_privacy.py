"""Killing the terminal in the middle of a session leaves nothing readable about the resident in
its data folder, and the next start-up removes even the ciphertext."""

import signal
import subprocess
import sys
from pathlib import Path

from kiosk.session_store import purge_leftovers
from kiosk.sim import people

VICTIM = Path(__file__).with_name("session_victim.py")


def every_byte_under(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_kill_9_mid_session_leaves_no_name_or_id_number_on_disk(tmp_path):
    victim = subprocess.Popen([sys.executable, str(VICTIM), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout.readline().strip() == "READY"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    data = tmp_path / "kiosk-data"
    session = data / "session"
    assert any(p.is_file() for p in session.rglob("*")), "the session had working files when it was killed"
    on_disk = every_byte_under(data)
    resident = people.resident()
    for secret in (resident.name, resident.id_number, resident.address):
        for encoding in ("utf-8", "utf-16-le", "gb18030"):
            assert secret.encode(encoding) not in on_disk, (secret, encoding)
    assert purge_leftovers(data) == 1
    assert not any(session.iterdir())
