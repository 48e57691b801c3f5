"""The background uploader: only a signed receipt is delivery, Retry-After is honoured, failures
back off with jitter and progress resets the back-off, the bandwidth cap holds, and the township's
decision polled afterwards lands on the delivered bundle."""

import http.server
import threading
import time

import pytest

from kiosk.decisions import DecisionPoller
from kiosk.sim.township import Township, seal_into
from kiosk.township import TownshipClient
from kiosk.upload import RateLimiter, UploadWorker, backoff_delay


class Canned(http.server.BaseHTTPRequestHandler):
    """Answers every request with one canned response (a captive portal, an overloaded proxy)."""

    status, headers, body = 200, {}, b"<html>Please log in to the Wi-Fi</html>"

    def answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(self.status)
        for name, value in {**self.headers_out(), "Content-Length": str(len(self.body))}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(self.body)

    def headers_out(self) -> dict:
        return type(self).headers

    do_GET = do_POST = do_HEAD = do_PATCH = answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def canned():
    servers = []

    def start(status, headers=None):
        handler = type("Handler", (Canned,), {"status": status, "headers": headers or {}})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def world(tmp_path):
    with Township(tmp_path / "world") as township:
        yield township


def one(world, outbox, size=100_000):
    return seal_into(outbox, world.device, world.township.public, world.kiosk_id, size)


def test_a_captive_portal_answering_200_is_not_delivery(world, outbox, canned):
    bundle_id = one(world, outbox)
    worker = UploadWorker(outbox, world.uploader(canned(200)), 1.0, 10.0)
    assert worker.run_once() == 0
    entry = outbox.get(bundle_id)
    assert entry.state == "sealed" and entry.last_error == "UPLOAD_BAD_RECEIPT" and entry.path.exists()


def test_retry_after_from_an_overloaded_server_is_honoured(world, outbox, canned):
    bundle_id = one(world, outbox)
    worker = UploadWorker(outbox, world.uploader(canned(503, {"Retry-After": "120"})), 1.0, 10.0)
    before = time.time()
    worker.run_once()
    entry = outbox.get(bundle_id)
    assert entry.last_error == "UPLOAD_FAILED" and entry.next_attempt >= before + 120


def test_backoff_doubles_without_progress_within_its_jitter_and_cap():
    for attempts in range(1, 12):
        step = min(60.0, 1.0 * 2 ** (attempts - 1))
        delays = [backoff_delay(attempts, 1.0, 60.0) for _ in range(200)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len({round(d, 6) for d in delays}) > 150  # jittered, so terminals do not retry in step


def test_an_unreachable_server_backs_off_and_the_other_bundles_wait(world, outbox):
    first, second = one(world, outbox), one(world, outbox)
    worker = UploadWorker(outbox, world.uploader("http://127.0.0.1:9", timeout=2.0), 5.0, 60.0)
    worker.run_once()
    assert outbox.get(first).attempts == 1 and outbox.get(first).next_attempt > time.time() + 2
    assert outbox.get(second).attempts == 0  # not hammered while the link is down


def test_the_bandwidth_cap_holds(world, outbox):
    bundle_id = one(world, outbox, size=150_000)
    limiter_rate = 100_000  # bytes per second
    uploader = world.uploader(chunk_bytes=32 * 1024, bytes_per_second=limiter_rate)
    start = time.monotonic()
    uploader.deliver(outbox.get(bundle_id))
    assert time.monotonic() - start >= (150_000 - limiter_rate) / limiter_rate * 0.9  # one second of burst


def test_rate_limiter_paces_to_its_rate():
    limiter = RateLimiter(50_000)
    start = time.monotonic()
    for _ in range(10):
        limiter.take(10_000)
    assert time.monotonic() - start >= (100_000 - 50_000) / 50_000 * 0.9


def test_the_worker_delivers_in_the_background_and_the_decision_comes_back(world, outbox, tmp_path):
    bundle_id = one(world, outbox)
    changes = []
    worker = UploadWorker(
        outbox, world.uploader(), 0.1, 1.0, on_change=lambda b, s: changes.append(s)
    ).start()
    try:
        worker.wake()
        deadline = time.monotonic() + 60
        while outbox.get(bundle_id).state != "delivered" and time.monotonic() < deadline:
            time.sleep(0.05)
        entry = outbox.get(bundle_id)
        assert entry.state == "delivered" and entry.receipt["bundle_digest"] == entry.digest
        assert changes == ["delivered"]
    finally:
        worker.stop()
    world.app.state.services.casework.decide(entry.case_number, "accepted", "clerk", "材料齐全")
    client = TownshipClient(world.url, world.kiosk_id, world.device, world.township.public)
    DecisionPoller(client, outbox, tmp_path).poll_once()
    assert outbox.get(bundle_id).state == "accepted" and outbox.get(bundle_id).decision_note == "材料齐全"


def test_a_bundle_damaged_on_the_terminal_is_never_sent(world, outbox):
    bundle_id = one(world, outbox)
    data = bytearray(outbox.bundle_path(bundle_id).read_bytes())
    data[-5] ^= 1
    outbox.bundle_path(bundle_id).write_bytes(data)
    uploader = world.uploader()
    UploadWorker(outbox, uploader, 1.0, 10.0).run_once()
    assert (
        outbox.get(bundle_id).state == "refused"
        and "UPLOAD_LOCAL_CORRUPT" in outbox.get(bundle_id).last_error
    )
    assert uploader.sent == 0
