"""ISDV4 pen protocol: byte-exact packets from the notes, fuzzed parsers, the driver against the
simulator (line speed, silence, per-packet times)."""

import itertools
import statistics
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices import signature_pad
from kiosk.errors import SignaturePadError
from kiosk.sim.sigpad import SignaturePadSimulator, pen_packet, query_reply


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
    leaving = signature_pad.parse_pen(bytes.fromhex("80180E0D2100280000"), t=0.0)
    assert not leaving.proximity


def test_query_reply_from_the_notes():
    info = signature_pad.parse_query(bytes.fromhex("C033161F717F4F00000220"))
    assert (info.max_x, info.max_y, info.max_pressure, info.version) == (26202, 16325, 1023, 288)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 65535), st.integers(0, 65535), st.integers(0, 1023), st.booleans(), st.booleans())
def test_every_pen_packet_decodes_to_what_was_encoded(x, y, pressure, tip, proximity):
    packet = pen_packet(x, y, pressure, tip, proximity)
    sample = signature_pad.parse_pen(packet, t=1.0)
    assert (sample.x, sample.y, sample.pressure, sample.tip, sample.proximity) == (
        x,
        y,
        pressure,
        tip,
        proximity,
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_decoder_only_returns_well_formed_packets(data):
    for packet in signature_pad.PacketDecoder().feed(data):
        assert packet[0] & 0x80 and not any(b & 0x80 for b in packet[1:])
        assert len(packet) == signature_pad.packet_length(packet[0])


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=16))
def test_parsers_refuse_junk_with_a_typed_error_or_none(data):
    try:
        signature_pad.parse_query(data)
    except SignaturePadError as e:
        assert e.code == "SIGPAD_SILENT"
    sample = signature_pad.parse_pen(data, t=0.0)
    assert sample is None or len(data) == 9


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 40))
def test_a_packet_split_anywhere_still_arrives_whole(noise, cut):
    packet = query_reply()
    decoder = signature_pad.PacketDecoder()
    stream = bytes(b & 0x7F for b in noise) + packet
    packets = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
    assert packets == [packet]


def test_pad_reports_its_size_and_streams_the_signature_with_true_times():
    with SignaturePadSimulator() as sim:
        pad = signature_pad.SignaturePad(sim.port)
        info = pad.open()
        assert (info.width_mm, info.height_mm) == (152.0, 95.0)
        pad.start()
        samples = []
        deadline = time.monotonic() + 15
        while sim.replays < 1 and time.monotonic() < deadline:
            samples += pad.read_samples()
        samples += pad.read_samples()
        pad.close()
    down = [s for s in samples if s.tip]
    assert len(down) == sum(len(stroke) - 1 for stroke in sim.signature)
    assert all(0 <= s.x <= info.max_x and 0 <= s.y <= info.max_y for s in samples)
    gaps = [b.t - a.t for a, b in itertools.pairwise(samples)]
    assert all(gap > 0 for gap in gaps)
    assert statistics.median(gaps) == pytest.approx(1 / 133, rel=0.3)


def test_a_pad_at_the_other_isdv4_rate_is_found():
    with SignaturePadSimulator(baud=19200) as sim:
        pad = signature_pad.SignaturePad(sim.port, baud=38400, reply_timeout=0.5)
        pad.open()
        pad.close()
    assert pad.baud == 19200


def test_a_silent_pad_is_reported_as_silent():
    with SignaturePadSimulator() as sim:
        sim.silent = True
        with pytest.raises(SignaturePadError) as caught:
            signature_pad.SignaturePad(sim.port, reply_timeout=0.3).open()
    assert caught.value.code == "SIGPAD_SILENT"


def test_a_missing_pad_is_reported_as_missing(tmp_path):
    with pytest.raises(SignaturePadError) as caught:
        signature_pad.SignaturePad(str(tmp_path / "ttyUSB9")).open()
    assert caught.value.code == "SIGPAD_NO_PAD"
