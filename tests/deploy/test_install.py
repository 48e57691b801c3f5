"""install.sh for real into a staging tree: units that systemd accepts, a second run that changes
nothing, signed updates with rollback, and an uninstall that takes it all back out.

The tests in this module share one staging tree and run in file order (install, check, update,
uninstall), as a technician would.
"""

import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
from stage_tools import DEPLOY, run

INSTALL = DEPLOY / "install.sh"
RELEASE = DEPLOY / "kiosk-release"


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path with its type, mode, owner, size, mtime and link target: what "changed" means."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        target = os.readlink(path) if path.is_symlink() else None
        state[str(path.relative_to(root))] = (
            info.st_mode, info.st_uid, info.st_gid, info.st_size, info.st_mtime_ns, target,
        )  # fmt: skip
    return state


@pytest.fixture(scope="module")
def stage(base_system, build_release, release_key, tmp_path_factory):
    """The first install comes from the offline bundle, as on a village box without network."""
    out = tmp_path_factory.mktemp("offline")
    bundle = run(
        DEPLOY / "build-offline-bundle.sh", "--release", build_release("0.1.0"),
        "--release-key", release_key[1], "--out", out, "--no-debs",
    ).stdout.strip()  # fmt: skip
    with tarfile.open(bundle) as tar:
        tar.extractall(out, filter="data")
    unpacked = out / Path(bundle).name.removesuffix(".tar")
    before = snapshot(base_system)
    result = run(unpacked / "deploy/install.sh", "--root", base_system, "--offline", unpacked)
    return base_system, before, result


def current(stage_root: Path) -> str:
    return os.readlink(stage_root / "opt/kiosk/current")


def installed_version(stage_root: Path) -> str:
    python = stage_root / "opt/kiosk/current/bin/python"
    return run(
        python, "-I", "-c", "from importlib.metadata import version; print(version('kiosk'))"
    ).stdout.strip()


def test_install_creates_the_user_the_app_the_units_and_the_rules(stage):
    root, _, result = stage
    assert "Next steps" in result.stdout
    assert "kiosk:x:" in (root / "etc/passwd").read_text()
    groups = (root / "etc/group").read_text()
    for group in ("dialout", "video", "lp", "input", "render"):
        assert any(
            line.startswith(f"{group}:") and "kiosk" in line.split(":")[3] for line in groups.splitlines()
        )
    assert current(root) == "releases/0.1.0" and installed_version(root) == "0.1.0"
    assert (root / "etc/kiosk/kiosk.toml").read_text() == (DEPLOY / "kiosk.toml.example").read_text()
    assert (root / "etc/systemd/system/multi-user.target.wants/kiosk.service").is_symlink()
    assert (root / "etc/systemd/system/timers.target.wants/kiosk-maintenance.timer").is_symlink()
    assert os.readlink(root / "etc/systemd/system/ctrl-alt-del.target") == "/dev/null"
    assert (root / "var/lib/kiosk").stat().st_mode & 0o777 == 0o750
    assert "kiosk/printer" in (root / "etc/udev/rules.d/70-kiosk-devices.rules").read_text()


def test_installed_units_pass_systemd_analyze_verify(stage):
    root = stage[0]
    units = sorted(p.name for p in (root / "etc/systemd/system").glob("kiosk*.*") if p.is_file())
    assert units == ["kiosk-maintenance.service", "kiosk-maintenance.timer", "kiosk.service"]
    for unit in units:
        result = run("systemd-analyze", "verify", f"--root={root}", unit, check=False)
        assert result.returncode == 0 and not result.stdout + result.stderr, (unit, result.stderr)


def test_the_installed_release_passes_its_self_check(stage):
    root = stage[0]
    python = root / "opt/kiosk/current/bin/python"
    result = run(python, "-I", "-m", "kiosk", "--config", root / "etc/kiosk/kiosk.toml", "selfcheck")
    assert "FAIL" not in result.stdout and "ok   modules" in result.stdout


def test_a_second_install_changes_nothing(stage, build_release, release_key):
    root = stage[0]
    before = snapshot(root)
    result = run(
        INSTALL, "--root", root, "--release", build_release("0.1.0"), "--release-key", release_key[1]
    )
    assert "nothing to change" in result.stdout
    assert snapshot(root) == before


def test_the_configuration_is_never_overwritten(stage):
    root = stage[0]
    config = root / "etc/kiosk/kiosk.toml"
    config.write_text(config.read_text().replace('id = "KIOSK-DEMO-0001"', 'id = "KIOSK-330100-0007"'))
    run(INSTALL, "--root", root)
    assert 'id = "KIOSK-330100-0007"' in config.read_text()


def test_a_tampered_or_foreign_release_is_refused_and_nothing_changes(stage, build_release, tmp_path):
    root = stage[0]
    good = build_release("0.1.0")
    with tarfile.open(good) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    wheel = next((tmp_path / "x/wheels").glob("kiosk-*.whl"))
    data = bytearray(wheel.read_bytes())
    data[len(data) // 2] ^= 0xFF
    wheel.write_bytes(bytes(data))
    tampered = tmp_path / "tampered.release.tar"
    with tarfile.open(tampered, "w") as tar:
        for name in ("VERSION", "SHA256SUMS", "SHA256SUMS.sig", "wheels"):
            tar.add(tmp_path / "x" / name, arcname=name)
    before = snapshot(root / "opt/kiosk")
    refused = run(RELEASE, "--root", root, "apply", tampered, check=False)
    assert refused.returncode != 0 and "does not match its SHA-256" in refused.stderr
    run("openssl", "genpkey", "-algorithm", "ed25519", "-out", tmp_path / "other.key")
    run("openssl", "pkey", "-in", tmp_path / "other.key", "-pubout", "-out", tmp_path / "other.pub")
    foreign = run(RELEASE, "--root", root, "--key", tmp_path / "other.pub", "apply", good, check=False)
    assert foreign.returncode != 0 and "signature does not verify" in foreign.stderr
    assert snapshot(root / "opt/kiosk") == before


def test_a_good_update_switches_and_a_failing_one_rolls_back(stage, build_release):
    root = stage[0]
    run(RELEASE, "--root", root, "apply", build_release("0.1.1"))
    assert current(root) == "releases/0.1.1" and installed_version(root) == "0.1.1"
    assert os.readlink(root / "opt/kiosk/previous") == "releases/0.1.0"

    failed = run(RELEASE, "--root", root, "apply", build_release("0.1.2", broken=True), check=False)
    assert failed.returncode == 3
    assert "kiosk_vendor_sdk" in failed.stdout + failed.stderr and "rolled back to 0.1.1" in failed.stderr
    assert current(root) == "releases/0.1.1" and installed_version(root) == "0.1.1"
    assert sorted(p.name for p in (root / "opt/kiosk/releases").iterdir()) == ["0.1.0", "0.1.1"]

    run(RELEASE, "--root", root, "rollback")  # a technician's way back
    assert current(root) == "releases/0.1.0" and os.readlink(root / "opt/kiosk/previous") == "releases/0.1.1"


def test_uninstall_reverses_the_install_and_purge_removes_the_data(stage):
    root, before, _ = stage
    run(INSTALL, "--root", root, "--uninstall")
    kept = set(snapshot(root)) - set(before)
    allowed = ("etc/kiosk", "var/lib/kiosk", "var", "var/lib", "etc/passwd", "etc/group", "etc/shadow",
               "etc/gshadow", "etc/.pwd.lock", "etc")  # fmt: skip
    assert {path for path in kept if not path.startswith(allowed)} == set()
    assert (root / "etc/kiosk/kiosk.toml").exists()
    run(INSTALL, "--root", root, "--uninstall", "--purge")
    assert not (root / "etc/kiosk").exists() and not (root / "var/lib/kiosk").exists()


def test_every_script_passes_shellcheck():
    scripts = [p for p in DEPLOY.rglob("*") if p.is_file() and p.read_bytes().startswith(b"#!")]
    assert len(scripts) >= 6
    assert shutil.which("shellcheck"), "Debian package shellcheck (make system installs it)"
    result = subprocess.run(["shellcheck", *map(str, scripts)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
