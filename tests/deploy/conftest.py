"""A staging tree for deploy/install.sh, and signed release artifacts built once per test session.

Building: one wheelhouse of the dependencies (pip's cache makes it quick), then per release only
the kiosk wheel. Installing a release into the staging tree is a real venv + offline pip install.
"""

import shutil
from pathlib import Path

import pytest
from stage_tools import DEPLOY, PIP, ROOT, run, source_copy


@pytest.fixture(scope="session")
def release_key(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("release-key")
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", folder / "release.key")
    run("openssl", "pkey", "-in", folder / "release.key", "-pubout", "-out", folder / "release.pub")
    return folder / "release.key", folder / "release.pub"


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wheelhouse")
    run(*PIP, "wheel", "--quiet", "--wheel-dir", folder, ROOT)
    for wheel in folder.glob("kiosk-*.whl"):
        wheel.unlink()
    return folder


@pytest.fixture(scope="session")
def build_release(tmp_path_factory, release_key, wheelhouse):
    def build(version: str, broken: bool = False) -> Path:
        work = tmp_path_factory.mktemp(f"release-{version}")
        source = source_copy(work / "src", version, broken) if version != "0.1.0" else ROOT
        out = run(
            DEPLOY / "build-release.sh", "--key", release_key[0], "--out", work / "out",
            "--source", source, "--wheels", wheelhouse,
        )  # fmt: skip
        return Path(out.stdout.strip().splitlines()[-1])

    return build


@pytest.fixture(scope="session")
def base_system(tmp_path_factory) -> Path:
    """What a stock box has that install.sh meets: systemd's own units (for systemd-analyze) and
    the standard folders."""
    stage = tmp_path_factory.mktemp("stage")
    for folder in (
        "opt",
        "usr/local/bin",
        "etc/sysusers.d",
        "etc/tmpfiles.d",
        "etc/udev/rules.d",
        "etc/sysctl.d",
    ):
        (stage / folder).mkdir(parents=True)
    shutil.copytree("/lib/systemd/system", stage / "usr/lib/systemd/system", symlinks=True)
    return stage
