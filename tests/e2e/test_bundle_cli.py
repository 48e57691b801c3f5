"""The command lines that scripts and township IT rely on: kiosk keys, kiosk bundle, kiosk outbox,
enrolment by one-time code over pinned HTTPS."""

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI, HTTPException

from kiosk import keys, tls
from kiosk.cli import main
from kiosk.crypto.suites import GM, MODERN
from kiosk.outbox import Outbox
from kiosk.sim.township import Township, seal_into


def kiosk(*args, config=None):
    """Run the command line in this process (a subprocess per call would cost seconds of imports)."""
    prefix = ["--config", str(config)] if config else []
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([*prefix, *map(str, args)])
        except SystemExit as e:
            code = e.code
    return subprocess.CompletedProcess(args, code, out.getvalue(), err.getvalue())


def one_line_failure(run):
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    return run.stderr


@pytest.mark.parametrize("suite", ["modern", "gm"])
def test_seal_then_open_gives_back_the_folder_byte_identical(tmp_path, suite):
    assert kiosk("keys", "init", "--dir", tmp_path / "k", "--suite", suite).returncode == 0
    assert kiosk("keys", "township", "--dir", tmp_path / "t", "--suite", suite).returncode == 0
    assert (tmp_path / "k" / "device.key").stat().st_mode & 0o777 == 0o600
    src = tmp_path / "src"
    (src / "材料").mkdir(parents=True)
    (src / "材料" / "户口簿.jpg").write_bytes(os.urandom(150_000))
    (src / "empty").write_bytes(b"")
    (src / "application.json").write_text('{"case_number": "000126112800019"}')
    sealed = kiosk(
        "bundle", "seal", "--src", src, "--device-key", tmp_path / "k" / "device.key",
        "--recipient", tmp_path / "t" / "township.pub", "--suite", suite, "--out", tmp_path / "b.kskb",
    )  # fmt: skip
    assert sealed.returncode == 0, sealed.stderr
    opened = kiosk(
        "bundle", "open", tmp_path / "b.kskb", "--key", tmp_path / "t" / "township.key",
        "--trust", tmp_path / "k" / "device.pub", "--out", tmp_path / "out",
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    files = lambda root: {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}  # noqa: E731
    assert files(tmp_path / "out") == files(src)


def test_a_failed_open_is_one_line_and_leaves_no_output(tmp_path):
    kiosk("keys", "init", "--dir", tmp_path / "k")
    kiosk("keys", "init", "--dir", tmp_path / "other")
    kiosk("keys", "township", "--dir", tmp_path / "t")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a").write_bytes(b"a")
    kiosk(
        "bundle", "seal", "--src", tmp_path / "src", "--device-key", tmp_path / "k" / "device.key",
        "--recipient", tmp_path / "t" / "township.pub", "--out", tmp_path / "b.kskb",
    )  # fmt: skip
    run = kiosk(
        "bundle", "open", tmp_path / "b.kskb", "--key", tmp_path / "t" / "township.key",
        "--trust", tmp_path / "other" / "device.pub", "--out", tmp_path / "out",
    )  # fmt: skip
    assert "BUNDLE_KEY_NOT_ENROLLED" in one_line_failure(run)
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))
    assert "KEY_MISSING" in one_line_failure(kiosk("bundle", "seal", "--src", tmp_path / "src", "--device-key",
        tmp_path / "nope.key", "--recipient", tmp_path / "t" / "township.pub", "--out", tmp_path / "c.kskb"))  # fmt: skip
    assert not (tmp_path / "c.kskb").exists()


def test_outbox_status_retry_and_export_for_a_technician(tmp_path):
    device, township = keys.create_device_key(tmp_path / "k"), keys.create_township_key(tmp_path / "t")
    outbox = Outbox(tmp_path / "data")
    ids = [seal_into(outbox, device, township.public, "KIOSK-1", 5000) for _ in range(2)]
    outbox.attempt_failed(ids[0], "UPLOAD_UNREACHABLE", time.time() + 3600, progressed=False)
    outbox.close()
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[terminal]\ndata_dir = "{tmp_path / "data"}"\nid = "KIOSK-1"\n')
    status = json.loads(kiosk("outbox", "status", "--json", config=config).stdout)
    assert status["counts"] == {"sealed": 2} and {c["bundle_id"] for c in status["cases"]} == set(ids)
    assert "UPLOAD_UNREACHABLE" in kiosk("outbox", "status", config=config).stdout
    assert kiosk("outbox", "retry", ids[0], config=config).returncode == 0
    assert Outbox(tmp_path / "data").get(ids[0]).next_attempt == 0
    assert "OUTBOX_UNKNOWN_BUNDLE" in one_line_failure(kiosk("outbox", "retry", "f" * 32, config=config))
    usb = tmp_path / "usb"
    assert kiosk("outbox", "export", "--to", usb, config=config).returncode == 0
    exported = sorted(p.name for p in usb.glob("*.kskb"))
    assert exported == sorted(f"{i}.kskb" for i in ids)
    index = json.loads(next(usb.glob("kiosk-export-*.json")).read_text())
    assert {b["bundle_id"] for b in index["bundles"]} == set(ids)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_https(app, certificate_dir):
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
        **tls.uvicorn_options(certificate_dir / "server.crt", certificate_dir / "server.key"))  # fmt: skip
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server, f"https://127.0.0.1:{port}"


def enrolment_stand_in(township, code="4711-2026"):
    """The back-office side of the enrolment contract, as issue 8 specifies it (a stand-in for the
    tests until the real endpoint lands)."""
    app = FastAPI()
    used = set()

    @app.post("/api/v1/enrolments", status_code=201)
    def enrol(body: dict) -> dict:
        if body.get("code") != code or code in used:
            raise HTTPException(403, "wrong, used or expired code")
        used.add(code)
        keys.device_public_from_pem(body["device_public_key"])
        return {"kiosk_id": body["kiosk_id"], "township_public_key": township.public.pem().decode(),
            "key_id": township.public.key_id}  # fmt: skip

    return app


@pytest.mark.parametrize("suite", [MODERN, GM], ids=lambda s: s.name)
def test_enrolment_by_one_time_code_over_pinned_https(tmp_path, suite):
    township = keys.create_township_key(tmp_path / "township", suite)
    kiosk("keys", "init", "--dir", tmp_path / "keys", "--suite", suite.name)
    assert kiosk("keys", "tls-ca", "--dir", tmp_path / "ca").returncode == 0
    assert (
        kiosk(
            "keys", "tls-server", "--dir", tmp_path / "srv", "--host", "127.0.0.1", "--ca", tmp_path / "ca"
        ).returncode
        == 0
    )
    server, url = serve_https(enrolment_stand_in(township), tmp_path / "srv")
    try:
        config = tmp_path / "kiosk.toml"
        config.write_text(
            f'[terminal]\nid = "KIOSK-7"\n[keys]\ndir = "{tmp_path / "keys"}"\nsuite = "{suite.name}"\n'
            f'[backoffice]\ntownship_key = "{tmp_path / "keys" / "township.pub"}"\n'
            f'tls_certificate = "{tmp_path / "ca" / "ca.crt"}"\n'
        )
        run = kiosk("keys", "enrol", "--url", url, "--code", "4711-2026", config=config)
        assert run.returncode == 0, run.stderr
        assert keys.load_township_public(tmp_path / "keys" / "township.pub") == township.public
        record = json.loads((tmp_path / "keys" / "enrolment.json").read_text())
        assert record["key_id"] == township.public.key_id and record["kiosk_id"] == "KIOSK-7"
        assert "ENROL_REFUSED" in one_line_failure(
            kiosk("keys", "enrol", "--url", url, "--code", "4711-2026", config=config)
        )
        kiosk("keys", "tls-server", "--dir", tmp_path / "rogue", "--host", "127.0.0.1")
        run = kiosk(
            "keys",
            "enrol",
            "--url",
            url,
            "--code",
            "x",
            "--tls-certificate",
            tmp_path / "rogue" / "server.crt",
            config=config,
        )
        assert "ENROL_FAILED" in one_line_failure(run)  # a certificate other than the pinned one
    finally:
        server.should_exit = True


def test_bundles_travel_over_https_only_to_the_pinned_back_office(tmp_path):
    with Township(tmp_path / "world") as world:
        tls.create_server_certificate(tmp_path / "srv", ["127.0.0.1"])
        server, url = serve_https(world.app, tmp_path / "srv")
        try:
            outbox = Outbox(tmp_path / "kiosk")
            entry = outbox.get(seal_into(outbox, world.device, world.township.public, world.kiosk_id, 50_000))
            pinned = tls.pinned_session(
                url,
                str(tmp_path / "srv" / "server.crt"),
                tls.certificate_fingerprint(tmp_path / "srv" / "server.crt"),
            )
            uploader = world.uploader(url)
            uploader.session = pinned
            assert uploader.deliver(entry)["bundle_id"] == entry.bundle_id
            tls.create_server_certificate(tmp_path / "other", ["127.0.0.1"])
            wrong = tls.pinned_session(url, str(tmp_path / "other" / "server.crt"))
            uploader.session = wrong
            with pytest.raises(Exception) as caught:
                uploader.receipt(entry)
            assert getattr(caught.value, "code", "") == "UPLOAD_UNREACHABLE"
            with pytest.raises(Exception) as caught:
                tls.pinned_session("http://192.0.2.1:8787")
            assert caught.value.code == "TLS_PLAIN_HTTP"
            outbox.close()
        finally:
            server.should_exit = True


def test_a_bad_bundle_from_the_real_command_is_one_line_on_stderr(tmp_path):
    (tmp_path / "junk.kskb").write_bytes(b"KSKB\x01\x01\x00\x10not json at all!")
    kiosk("keys", "township", "--dir", tmp_path / "t")
    kiosk("keys", "init", "--dir", tmp_path / "k")
    command = ["bundle", "open", tmp_path / "junk.kskb", "--key", tmp_path / "t" / "township.key"]
    command += ["--trust", tmp_path / "k" / "device.pub", "--out", tmp_path / "o"]
    run = subprocess.run(
        [sys.executable, "-m", "kiosk", *map(str, command)], capture_output=True, text=True, timeout=120
    )
    assert "BUNDLE_" in one_line_failure(run) and not (tmp_path / "o").exists()
