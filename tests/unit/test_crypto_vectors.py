"""Known-answer tests from each algorithm's standard or reference implementation, and interop with
OpenSSL for SM2: the suites must compute what the standards say, not merely agree with themselves."""

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk import keys
from kiosk.crypto import sm2
from kiosk.crypto.suites import GM, MODERN, AuthenticationFailed, SigningKey, VerifyKey

h = bytes.fromhex


def test_ed25519_rfc8032_test_1():
    key = Ed25519PrivateKey.from_private_bytes(
        h("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    )
    signature = h(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    signer = SigningKey(key)
    assert signer.public.raw == h("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    assert signer.sign(b"") == signature
    assert signer.public.verify(signature, b"") and not signer.public.verify(signature, b"\x00")


def test_x25519_rfc7748_section_6_1():
    alice = X25519PrivateKey.from_private_bytes(
        h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
    )
    bob_public = X25519PublicKey.from_public_bytes(
        h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
    )
    assert alice.exchange(bob_public) == h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")


def test_hkdf_sha256_rfc5869_case_1():
    okm = HKDF(
        hashes.SHA256(), 42, salt=h("000102030405060708090a0b0c"), info=h("f0f1f2f3f4f5f6f7f8f9")
    ).derive(b"\x0b" * 22)
    assert okm == h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")


def test_aes_256_gcm_nist_gcm_spec_test_case_14():
    sealed = MODERN.seal_segment(bytes(32), bytes(12), bytes(16), b"")
    assert sealed == h("cea7403d4d606b6e074ec5d3baf39d18" + "d0d1c8a799996bf0265b98b5d48ab919")


def test_sha256_fips180_abc():
    assert MODERN.hash(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_sm3_gbt32905_examples():
    assert GM.hash(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert GM.hash(b"abcd" * 16).hex() == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_sm4_gbt32907_example_1():
    key = h("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert encryptor.update(key) + encryptor.finalize() == h("681edf34d206965e86b3e94f536e4246")


RFC8998_GCM = {
    "key": h("0123456789ABCDEFFEDCBA9876543210"),
    "iv": h("00001234567800000000ABCD"),
    "aad": h("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2"),
    "plaintext": h("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD" * 1)
    + h("EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"),
    "sealed": h(
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
        "83DE3541E4C2B58177E065A9BF7B62EC"
    ),
}


def test_sm4_gcm_rfc8998_appendix_a1():
    v = RFC8998_GCM
    assert GM.seal_segment(v["key"], v["iv"], v["plaintext"], v["aad"]) == v["sealed"]
    assert GM.open_segment(v["key"], v["iv"], v["sealed"], v["aad"]) == v["plaintext"]
    tampered = bytearray(v["sealed"])
    tampered[0] ^= 1
    with pytest.raises(AuthenticationFailed):
        GM.open_segment(v["key"], v["iv"], bytes(tampered), v["aad"])


# GB/T 32918 (GM/T 0003.5) sample on the recommended curve: key, signature of "message digest"
# with ID 1234567812345678, and the encryption of "encryption standard" with k = 59276E27...
SM2_D = h("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
SM2_PUBLIC = h(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
SM2_SIGNATURE = h(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)
SM2_CIPHERTEXT = h(
    "04"
    "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
    "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
    "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
    "21886CA989CA9C7D58087307CA93092D651EFA"
)


def test_sm2_signature_sample_verifies_and_nothing_else_does():
    public = VerifyKey(sm2.SM2PublicKey(SM2_PUBLIC))
    assert public.verify(SM2_SIGNATURE, b"message digest")
    assert not public.verify(SM2_SIGNATURE, b"message digesT")
    assert not public.verify(SM2_SIGNATURE[:63] + bytes([SM2_SIGNATURE[63] ^ 1]), b"message digest")


def test_sm2_decryption_sample_and_its_integrity_check():
    key = sm2.SM2PrivateKey(SM2_D, sm2.SM2PublicKey(SM2_PUBLIC))
    key.check_pair()
    assert key.decrypt(SM2_CIPHERTEXT) == b"encryption standard"
    tampered = bytearray(SM2_CIPHERTEXT)
    tampered[-1] ^= 1  # C2 changed: C3 no longer matches
    with pytest.raises(sm2.SM2Error):
        key.decrypt(bytes(tampered))


def test_a_point_off_the_curve_is_not_a_public_key():
    with pytest.raises(sm2.SM2Error):
        sm2.SM2PublicKey(SM2_PUBLIC[:-1] + bytes([SM2_PUBLIC[-1] ^ 1]))


openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")
DISTID = ("-pkeyopt", "distid:1234567812345678")  # GM/T 0009's default ID; OpenSSL 3.0 defaults to none


def run_openssl(*args, **kwargs):
    return subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60, **kwargs)


@openssl
def test_openssl_reads_our_sm2_key_files_and_verifies_our_signature(tmp_path):
    key = keys.create_device_key(tmp_path, GM)
    derived = run_openssl("pkey", "-in", str(tmp_path / "device.key"), "-pubout").stdout
    assert derived == (tmp_path / "device.pub").read_bytes()
    (tmp_path / "m").write_bytes(b"bundle header")
    (tmp_path / "m.sig").write_bytes(sm2.signature_to_der(key.sign(b"bundle header")))
    run_openssl(
        "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "device.pub"), "-rawin", "-digest", "sm3",
        "-in", str(tmp_path / "m"), "-sigfile", str(tmp_path / "m.sig"), *DISTID,
    )  # fmt: skip


@openssl
def test_we_read_openssl_sm2_keys_signatures_and_ciphertexts(tmp_path):
    run_openssl("genpkey", "-algorithm", "SM2", "-out", str(tmp_path / "o.key"))
    run_openssl("pkey", "-in", str(tmp_path / "o.key"), "-pubout", "-out", str(tmp_path / "o.pub"))
    private = keys.load_device_key(tmp_path / "o.key")
    public = keys.load_device_public(tmp_path / "o.pub")
    assert private.public == public
    (tmp_path / "m").write_bytes(b"signed by openssl")
    sign = ("pkeyutl", "-sign", "-inkey", str(tmp_path / "o.key"), "-rawin", "-digest", "sm3")
    der = run_openssl(*sign, "-in", str(tmp_path / "m"), *DISTID).stdout
    assert public.verify(sm2.signature_from_der(der), b"signed by openssl")
    (tmp_path / "k").write_bytes(b"0123456789abcdef")
    ciphertext = run_openssl(
        "pkeyutl", "-encrypt", "-pubin", "-inkey", str(tmp_path / "o.pub"), "-in", str(tmp_path / "k")
    ).stdout
    assert private.key.decrypt(sm2.ciphertext_from_der(ciphertext)) == b"0123456789abcdef"
