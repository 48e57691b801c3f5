"""Helpers shared by the deploy tests: run the deploy scripts with the test venv's Python and pip."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PIP = [sys.executable, "-m", "pip"]
SOURCE_PARTS = ("kiosk", "printer_templates", "pyproject.toml", "README.md")


def script_env() -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "KIOSK_RELEASE_PYTHON": sys.executable,
        "KIOSK_RELEASE_PIP": str(Path(sys.executable).parent / "pip"),
        "PYTHON": sys.executable,
    }


def run(*args: object, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env=script_env(), timeout=600
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def source_copy(target: Path, version: str, broken: bool = False) -> Path:
    """The project at another version; `broken` adds an import of a module no release ships."""
    for part in SOURCE_PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, target / part)
    pyproject = target / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "0.1.0"', f'version = "{version}"'))
    if broken:
        idcard = target / "kiosk" / "devices" / "idcard" / "__init__.py"
        idcard.write_text(idcard.read_text() + "\nimport kiosk_vendor_sdk  # noqa\n")
    return target
