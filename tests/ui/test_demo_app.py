"""The Kivy app under Xvfb, driven by simulated touches through a whole resident transaction."""

import json
import subprocess
import sys

from PIL import Image, ImageStat

SCREENS = [
    "attract",
    "catalog",
    "guide",
    "identify",
    "materials-preview",
    "materials-captured",
    "form",
    "sign",
    "review",
    "receipt",
    "rating",
    "farewell",
]


def test_demo_drives_the_app_to_a_verified_case_with_a_screenshot_per_screen(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", "demo", "--json", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},  # no DISPLAY: the demo starts its own Xvfb
    )
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout)
    assert result["verified"] is True
    shots = result["screenshots"]
    assert [
        s.split("-", 1)[1].removesuffix(".png") for s in map(lambda p: p.rsplit("/", 1)[1], shots)
    ] == SCREENS
    for path in shots:
        image = Image.open(path)
        assert image.size == (1920, 1080)
        assert max(ImageStat.Stat(image.convert("L")).stddev) > 20, f"{path} looks blank"
