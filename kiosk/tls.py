"""TLS for the link between terminals and the back office: a small township CA, server
certificates, the terminal's pinned HTTPS session, and the options the back office serves with.

Terminals trust only the certificate pinned in their config (the township CA or the back office's
own certificate), never the system's CA store. Certificates use ECDSA P-256, which every TLS stack
speaks; the GM suite protects the bundles themselves.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
from pathlib import Path
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from requests.adapters import HTTPAdapter

from kiosk.errors import KioskError
from kiosk.keys import write_file

CA_DAYS, SERVER_DAYS = 3650, 825


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _builder(subject: str, issuer: x509.Name, public_key: Any, days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def create_ca(directory: Path, name: str = "Township back office CA") -> Path:
    """ca.crt (give it to every terminal) and ca.key (0600, keep it off the server)."""
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        _builder(name, _name(name), key.public_key(), CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    write_file(directory / "ca.key", _key_pem(key), 0o600)
    write_file(directory / "ca.crt", certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    return directory / "ca.crt"


def _san(hosts: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def _load_ca(ca_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    try:
        certificate = x509.load_pem_x509_certificate((ca_dir / "ca.crt").read_bytes())
        key = serialization.load_pem_private_key((ca_dir / "ca.key").read_bytes(), None)
    except (OSError, ValueError) as e:
        raise KioskError("TLS_CA_INVALID", file=str(ca_dir), detail=str(e)) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KioskError("TLS_CA_INVALID", file=str(ca_dir))
    return certificate, key


def create_server_certificate(directory: Path, hosts: list[str], ca_dir: Path | None = None) -> Path:
    """server.crt and server.key (0600) for `hosts` (DNS names or IP addresses), issued by the CA in
    `ca_dir`, or self-signed when there is none (then server.crt itself is what terminals pin)."""
    if not hosts:
        raise KioskError("TLS_NO_HOSTS")
    key = ec.generate_private_key(ec.SECP256R1())
    if ca_dir is None:
        issuer_name, signer = _name(hosts[0]), key
    else:
        ca_certificate, signer = _load_ca(ca_dir)
        issuer_name = ca_certificate.subject
    builder = (
        _builder(hosts[0], issuer_name, key.public_key(), SERVER_DAYS)
        .add_extension(_san(hosts), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if ca_dir is None:  # a self-signed leaf must also be usable as its own trust anchor
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
    certificate = builder.sign(signer, hashes.SHA256())
    write_file(directory / "server.key", _key_pem(key), 0o600)
    write_file(directory / "server.crt", certificate.public_bytes(serialization.Encoding.PEM), 0o644)
    return directory / "server.crt"


def certificate_fingerprint(path: Path) -> str:
    """SHA-256 of the first certificate's DER, hex: what `backoffice.tls_fingerprint` pins."""
    try:
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        raise KioskError("TLS_CERT_INVALID", file=str(path)) from None
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


class _PinnedAdapter(HTTPAdapter):
    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self.fingerprint:
            kwargs["assert_fingerprint"] = self.fingerprint
        super().init_poolmanager(*args, **kwargs)


def pinned_session(url: str, certificate: str = "", fingerprint: str = "") -> requests.Session:
    """A session for the back office at `url`: HTTPS verified against `certificate` only (the
    township CA or the server's own certificate) and, if given, the server certificate's SHA-256;
    plain HTTP only to a loopback address (the demo and tests)."""
    session = requests.Session()
    session.trust_env = False  # no proxies or CA bundles from the environment
    if url.startswith("https://"):
        if not certificate or not Path(certificate).is_file():
            raise KioskError("TLS_NO_PIN", url=url, file=certificate)
        session.verify = certificate
        session.mount("https://", _PinnedAdapter(fingerprint.replace(":", "").lower()))
        return session
    host = requests.utils.urlparse(url).hostname or ""
    if not _is_loopback(host):
        raise KioskError("TLS_PLAIN_HTTP", url=url)
    return session


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uvicorn_options(certificate: Path, key: Path) -> dict[str, str]:
    """The keyword arguments for uvicorn.run / uvicorn.Config that serve HTTPS with this pair."""
    for path in (certificate, key):
        if not path.is_file():
            raise KioskError("TLS_CERT_INVALID", file=str(path))
    return {"ssl_certfile": str(certificate), "ssl_keyfile": str(key)}
