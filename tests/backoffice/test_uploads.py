"""The resumable upload endpoint speaks tus 1.0 and avoids each defect found in tuspyserver 4.4.3
(shared/research/tus.md): nothing of a refused request is stored, lengths are checked, HEAD works
without file-name metadata, expired uploads are cleaned, a finished upload is finalised once."""

import base64
import socket
import time

import pytest
import requests

from kiosk.backoffice.uploads import Uploads, parse_metadata
from kiosk.outbox import Outbox
from kiosk.sim.township import Township, seal_into

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def world(tmp_path):
    with Township(tmp_path / "world") as township:
        yield township


@pytest.fixture
def entry(world, tmp_path):
    outbox = Outbox(tmp_path / "kiosk")
    yield outbox.get(seal_into(outbox, world.device, world.township.public, world.kiosk_id, 200_000))
    outbox.close()


def metadata(entry):
    pairs = {"bundle_id": entry.bundle_id, "bundle_digest": entry.digest, "kiosk_id": "KIOSK-TEST-0001"}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


def create(world, entry, length=None):
    headers = {**TUS, "Upload-Length": str(length or entry.size), "Upload-Metadata": metadata(entry)}
    return requests.post(f"{world.url}/api/v1/uploads", headers=headers, timeout=10)


def offset(world, entry):
    response = requests.head(f"{world.url}/api/v1/uploads/{entry.bundle_id}", headers=TUS, timeout=10)
    return int(response.headers["Upload-Offset"]) if response.status_code == 200 else response.status_code


def patch(world, entry, at, data, content_type="application/offset+octet-stream", tus=True):
    headers = {**(TUS if tus else {}), "Content-Type": content_type, "Upload-Offset": str(at)}
    return requests.patch(
        f"{world.url}/api/v1/uploads/{entry.bundle_id}", data=data, headers=headers, timeout=30
    )


def test_options_announce_version_extensions_and_maximum(world):
    response = requests.options(f"{world.url}/api/v1/uploads", timeout=10)
    assert response.status_code == 204 and response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert int(response.headers["Tus-Max-Size"]) > 0


def test_creation_is_idempotent_on_the_bundle_id_and_head_needs_no_file_name(world, entry):
    first, second = create(world, entry), create(world, entry)
    assert first.status_code == second.status_code == 201
    assert first.headers["Location"] == second.headers["Location"] == f"/api/v1/uploads/{entry.bundle_id}"
    assert "Upload-Expires" in first.headers
    assert offset(world, entry) == 0


def test_requests_without_tus_resumable_are_refused_and_store_nothing(world, entry):
    assert requests.post(f"{world.url}/api/v1/uploads", timeout=10).status_code == 412
    create(world, entry)
    assert patch(world, entry, 0, b"x" * 100, tus=False).status_code == 412
    assert patch(world, entry, 0, b"x" * 100, content_type="application/octet-stream").status_code == 415
    assert offset(world, entry) == 0


def test_oversized_or_malformed_creations_are_refused(world, entry):
    assert create(world, entry, length=10**12).status_code == 413
    bad = {**TUS, "Upload-Length": "100", "Upload-Metadata": "bundle_id !!notbase64"}
    assert requests.post(f"{world.url}/api/v1/uploads", headers=bad, timeout=10).status_code == 400


def test_a_patch_past_the_declared_length_keeps_nothing_of_it(world, entry):
    create(world, entry)
    data = entry.path.read_bytes()
    assert patch(world, entry, 0, data[:1000]).status_code == 204
    assert patch(world, entry, 1000, data[1000:] + b"extra").status_code == 400
    assert offset(world, entry) == 1000


def test_a_wrong_offset_is_a_conflict_that_tells_the_right_one(world, entry):
    create(world, entry)
    patch(world, entry, 0, entry.path.read_bytes()[:500])
    response = patch(world, entry, 100, b"y" * 10)
    assert response.status_code == 409 and response.headers["Upload-Offset"] == "500"


def test_bytes_of_a_patch_cut_half_way_are_kept_and_the_upload_resumes(world, entry):
    create(world, entry)
    data = entry.path.read_bytes()
    with socket.create_connection(("127.0.0.1", world.server.port), timeout=10) as raw:
        raw.sendall(
            f"PATCH /api/v1/uploads/{entry.bundle_id} HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\n"
            f"Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
            f"Content-Length: {len(data)}\r\n\r\n".encode()
            + data[:70_000]
        )
        time.sleep(0.5)
    deadline = time.monotonic() + 10
    while offset(world, entry) != 70_000 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert offset(world, entry) == 70_000
    response = patch(world, entry, 70_000, data[70_000:])
    while response.status_code == 423 and time.monotonic() < deadline + 10:  # the cut request still ending
        time.sleep(float(response.headers["Retry-After"]))
        response = patch(world, entry, 70_000, data[70_000:])
    assert response.status_code == 204
    assert world.store.bundle(entry.bundle_id)["sha256"] == entry.digest


def test_an_empty_patch_on_a_finished_upload_finalises_it_once(world, entry):
    create(world, entry)
    data = entry.path.read_bytes()
    assert patch(world, entry, 0, data).status_code == 204
    again = patch(world, entry, len(data), b"")
    assert again.status_code == 204 and again.headers["Upload-Offset"] == str(len(data))
    assert world.store.counts()["bundles"] == 1


def test_termination_removes_an_upload(world, entry):
    create(world, entry)
    url = f"{world.url}/api/v1/uploads/{entry.bundle_id}"
    assert requests.delete(url, headers=TUS, timeout=10).status_code == 204
    assert offset(world, entry) == 404


def test_expired_uploads_are_swept_and_live_ones_kept(tmp_path):
    uploads = Uploads(tmp_path / "up", expiry_s=60)
    uploads.create("a" * 32, 100, "0" * 64, "K")
    uploads.create("b" * 32, 100, "0" * 64, "K")
    uploads.save("a" * 32, {**uploads.info("a" * 32), "expires": time.time() - 1})
    assert uploads.sweep(time.time()) == 1
    assert uploads.info("a" * 32) is None and not uploads.part("a" * 32).exists()
    assert uploads.info("b" * 32) is not None


def test_metadata_parsing_refuses_garbage():
    assert parse_metadata("a YQ==,b Yg==") == {"a": "a", "b": "b"}
    assert parse_metadata("a ***") is None


def test_tuspy_the_reference_client_uploads_to_it(world, entry):
    from tusclient import client

    uploader = client.TusClient(f"{world.url}/api/v1/uploads").uploader(
        file_path=str(entry.path),
        chunk_size=64 * 1024,
        metadata={"bundle_id": entry.bundle_id, "bundle_digest": entry.digest, "kiosk_id": "KIOSK-TEST-0001"},
    )
    uploader.upload()
    assert world.store.bundle(entry.bundle_id)["sha256"] == entry.digest
