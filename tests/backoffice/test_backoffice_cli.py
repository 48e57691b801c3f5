"""`kiosk backoffice …` as township IT runs it: accounts, enrolment codes, revocation, export, HTTPS."""

import datetime
import io
import ipaddress
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from backoffice_world import PASSWORD, application
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk import keys
from kiosk.backoffice import enrolment, staff
from kiosk.backoffice.store import open_store
from kiosk.cli import main

KIOSK = [sys.executable, "-m", "kiosk"]


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys, monkeypatch):
    """`kiosk ARGS` in this process (as the console script runs it), with `stdin` as standard input."""

    def kiosk(*args: str, stdin: str = "") -> Done:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out = capsys.readouterr()
        return Done(code, out.out, out.err)

    return kiosk


def test_staff_accounts_are_created_from_the_command_line_with_a_hashed_password(tmp_path, run):
    done = run(
        "backoffice",
        "user",
        "clerk",
        "--name",
        "李办事员",
        "--data",
        str(tmp_path),
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr
    store = open_store("sqlite", tmp_path)
    assert store.user("clerk")["password_hash"].startswith("$scrypt$")
    assert staff.login(store, "clerk", PASSWORD) and not staff.login(store, "clerk", "wrong password")
    short = run("backoffice", "user", "clerk2", "--data", str(tmp_path), "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "密码至少 10 位" in short.stderr and "Traceback" not in short.stderr


def test_an_enrolment_code_from_the_command_line_enrols_and_revoke_stops_the_kiosk(office, run):
    office.server.stop()
    office.store.close()
    done = run("backoffice", "enrol-code", "--village", "东村", "--data", str(office.data_dir))
    code = done.stdout.split(":")[1].split()[0]
    store = open_store("sqlite", office.data_dir)
    assert enrolment.redeem(store, code, "KIOSK-T-0009")["village"] == "东村"
    store.enrol("KIOSK-T-0009", "pem", village="东村")
    assert (
        main(["backoffice", "revoke", "KIOSK-T-0009", "--reason", "被盗", "--data", str(office.data_dir)])
        == 0
    )
    assert store.kiosk("KIOSK-T-0009")["revoked_reason"] == "被盗"
    assert main(["backoffice", "revoke", "KIOSK-T-0009", "--data", str(office.data_dir)]) == 1


def test_export_writes_the_cases_files_verified_again_from_the_sealed_bundle(office, tmp_path, run):
    kiosk = office.enrol()
    office.submit(kiosk, "000126112800019")
    keys.write_file(
        office.data_dir / "township.key", (tmp_path / "township" / "township.key").read_bytes(), 0o600
    )
    out = tmp_path / "export"
    done = run("backoffice", "export", "000126112800019", "--out", str(out), "--data", str(office.data_dir))
    assert done.returncode == 0, done.stderr
    _, files = application("000126112800019")
    for name, content in files.items():
        assert (out / "files" / name).read_bytes() == content
    again = run("backoffice", "export", "000126112800019", "--out", str(out), "--data", str(office.data_dir))
    assert again.returncode == 2 and "已存在且不为空" in again.stderr
    unknown = run(
        "backoffice",
        "export",
        "000999999999999",
        "--out",
        str(tmp_path / "x"),
        "--data",
        str(office.data_dir),
    )
    assert unknown.returncode == 2 and "没有受理编号" in unknown.stderr and not (tmp_path / "x").exists()


def test_plain_http_is_refused_off_loopback_and_tls_needs_both_files(tmp_path, run):
    refused = run("backoffice", "serve", "--data", str(tmp_path), "--host", "0.0.0.0")
    assert refused.returncode == 2 and "回环地址" in refused.stderr
    half = run("backoffice", "serve", "--data", str(tmp_path), "--tls-cert", str(tmp_path / "c.pem"))
    assert half.returncode == 2 and "--tls-key" in half.stderr


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "示例镇乡镇后台")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return folder / "cert.pem", folder / "key.pem"


def test_the_service_speaks_https_with_the_townships_certificate(tmp_path):
    keys.create_township_key(tmp_path)
    cert, key = self_signed(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*KIOSK, "backoffice", "serve", "--data", str(tmp_path), "--port", str(port),
         "--tls-cert", str(cert), "--tls-key", str(key)],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "serve.log").open("wb"),
    )  # fmt: skip
    try:
        deadline, https = time.monotonic() + 60, requests.Session()
        while True:
            try:
                health = https.get(f"https://127.0.0.1:{port}/healthz", verify=str(cert), timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "serve.log"
                ).read_text()
                time.sleep(0.3)
        assert health.json()["status"] == "ok"
        login = https.get(f"https://127.0.0.1:{port}/login", verify=str(cert), timeout=5)
        assert "secure" in login.headers["set-cookie"].lower()
        https.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
