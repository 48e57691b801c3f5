"""`kiosk scan`: the JSON contract, clean failures, headless auto-capture from a camera folder."""

import json
import subprocess
import sys
import threading

import cv2
import numpy as np

from kiosk.cli import main
from kiosk.sim import camera as sim
from tests.imaging.synthetic import SCORING_SEED, jaccard, sample


def run(*args):
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=300)


def test_scan_image_prints_the_json_contract_and_writes_the_page(tmp_path):
    s = sample("white_on_light", SCORING_SEED + 3)
    image = tmp_path / "frame.jpg"
    cv2.imwrite(str(image), s.frame)
    out = tmp_path / "page.jpg"
    done = run(
        "scan",
        "--image",
        str(image),
        "--json",
        "--size",
        "a4" if s.size_mm[1] > 250 else "a5",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"found", "corners", "dpi", "sharpness", "warnings", "codes", "ms"}
    assert report["found"] and jaccard(np.array(report["corners"]), s.corners, s.frame.shape) > 0.98
    assert 200 <= report["dpi"] <= 300 and report["warnings"] == [] and report["ms"] > 0
    assert cv2.imread(str(out)).shape[0] > 1000


def test_scan_image_reads_the_qr_code_of_a_receipt(tmp_path, capsys):
    page, size_mm = sim.document("receipt", 0)
    frame = sim.mat("grey", np.random.default_rng(4))
    sim.lay(frame, page, sim.corners_for(size_mm, 160))
    image = tmp_path / "receipt.png"
    cv2.imwrite(str(image), sim.camera_model(frame))
    assert main(["scan", "--image", str(image), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["codes"] == [
        {"type": "QRCode", "data": "https://zwfw.example.gov.cn/status/000126112800019"}
    ]
    assert report["dpi"] is None and "rotated" in report["warnings"]


def test_scan_of_a_missing_file_or_a_non_image_fails_in_one_line(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    for path in (tmp_path / "missing.jpg", text):
        done = run("scan", "--image", str(path), "--json")
        assert done.returncode != 0 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
        assert str(path) in done.stderr


def test_scan_camera_without_a_display_captures_pages_into_a_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    camera = tmp_path / "camera"
    mat = sim.VirtualMat(camera)
    mat.place_document("证明", sim.BODY_TEXT, (148, 210))
    out = tmp_path / "out"
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            main(["scan", "--camera", str(camera), "--out-dir", str(out), "--size", "a5", "--pages", "1"])
        )
    )
    worker.start()
    worker.join(timeout=120)
    assert result == [0]
    assert sorted(p.name for p in out.iterdir()) == ["original-001.jpg", "page-001.jpg"]
    assert (out / "original-001.jpg").read_bytes() == max(
        camera.iterdir(), key=lambda p: p.stat().st_mtime_ns
    ).read_bytes()


def test_scan_camera_with_no_display_and_nowhere_to_write_says_so(monkeypatch, capsys):
    monkeypatch.delenv("DISPLAY", raising=False)
    assert main(["scan", "--camera", "/dev/video99"]) != 0
    assert "SCAN_NO_DISPLAY" in capsys.readouterr().err
