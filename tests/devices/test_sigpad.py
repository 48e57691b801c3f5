"""ISDV4 pen protocol: byte-exact packets from the notes, a fuzzed decoder, the driver against the simulator."""

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices import signature_pad
from kiosk.sim.sigpad import SignaturePadSimulator


def test_pen_packet_from_the_notes():
    sample = signature_pad.parse_pen(bytes.fromhex("A1180E0D212C2A0000"), t=0.0)
    assert (sample.x, sample.y, sample.pressure, sample.tip, sample.proximity) == (
        12345,
        6789,
        300,
        True,
        True,
    )
    hovering = signature_pad.parse_pen(bytes.fromhex("A0180E0D2100280000"), t=0.0)
    assert (hovering.tip, hovering.pressure) == (False, 0)


def test_query_reply_from_the_notes():
    info = signature_pad.parse_query(bytes.fromhex("C033161F717F4F00000220"))
    assert (info.max_x, info.max_y, info.max_pressure, info.version) == (26202, 16325, 1023, 288)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_decoder_only_returns_well_formed_packets(data):
    for packet in signature_pad.PacketDecoder().feed(data):
        assert packet[0] & 0x80 and not any(b & 0x80 for b in packet[1:])
        assert len(packet) == signature_pad.packet_length(packet[0])


def test_pad_reports_its_size_and_streams_the_signature():
    with SignaturePadSimulator(packets_per_second=2000) as sim:
        pad = signature_pad.SignaturePad(sim.port)
        info = pad.open()
        assert (info.width_mm, info.height_mm) == (152.0, 95.0)
        pad.start()
        samples = []
        deadline = time.monotonic() + 5
        while sim.replays < 1 and time.monotonic() < deadline:
            samples += pad.read_samples()
        samples += pad.read_samples()
        pad.close()
    down = [s for s in samples if s.tip]
    expected = sum(len(stroke) - 1 for stroke in sim.signature)
    assert len(down) == expected
    assert all(0 <= s.x <= info.max_x and 0 <= s.y <= info.max_y for s in samples)
