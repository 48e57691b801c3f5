"""The GA 467 frame codec and command layer: byte-exact frames from the protocol notes (§4, §7), and
Hypothesis streams that are random, truncated, re-chunked and corrupted."""

from functools import reduce
from operator import xor

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from idcard_frames import hand_built_read_answer, hexbytes, resident_block

from kiosk.devices.idcard import commands
from kiosk.devices.idcard.codec import (
    MAX_LENGTH,
    FrameDecoder,
    Response,
    build_frame,
    decode_frame,
    parse_response,
)
from kiosk.devices.idcard.parser import parse_read_data
from kiosk.errors import IdCardError

# Request frames from the notes' command table (§4); "seen" byte for byte in public sources or
# computed there from the framing rules.
PUBLISHED_REQUESTS = [
    (commands.RESET.request(), "AA AA AA 96 69 00 03 10 FF EC"),
    (commands.STATUS.request(), "AA AA AA 96 69 00 03 11 FF ED"),
    (commands.SAM_ID.request(), "AA AA AA 96 69 00 03 12 FF EE"),
    (commands.FIND.request(), "AA AA AA 96 69 00 03 20 01 22"),
    (commands.SELECT.request(), "AA AA AA 96 69 00 03 20 02 21"),
    (commands.READ.request(), "AA AA AA 96 69 00 03 30 01 32"),
    (commands.READ_NEW_ADDRESS.request(), "AA AA AA 96 69 00 03 30 03 30"),
    (commands.READ_WITH_FINGERPRINTS.request(), "AA AA AA 96 69 00 03 30 10 23"),
    (commands.set_baud(115200).request(), "AA AA AA 96 69 00 03 60 00 63"),
    (commands.set_baud(57600).request(), "AA AA AA 96 69 00 03 60 01 62"),
    (commands.set_baud(38400).request(), "AA AA AA 96 69 00 03 60 02 61"),
    (commands.set_baud(19200).request(), "AA AA AA 96 69 00 03 60 03 60"),
    (commands.set_baud(9600).request(), "AA AA AA 96 69 00 03 60 04 67"),
    (build_frame(bytes([0x61, 0xFF, 0x50])), "AA AA AA 96 69 00 04 61 FF 50 CA"),
]

# Answers seen byte for byte in public sources (§7): (frame, SW3, data).
PUBLISHED_ANSWERS = [
    ("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97", 0x9F, bytes(4)),
    ("AA AA AA 96 69 00 04 00 00 80 84", 0x80, b""),
    ("AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C", 0x90, bytes(8)),
    ("AA AA AA 96 69 00 04 00 00 81 85", 0x81, b""),
    ("AA AA AA 96 69 00 04 00 00 41 45", 0x41, b""),
    ("AA AA AA 96 69 00 04 00 00 90 94", 0x90, b""),
]
# Status-only error answers: AA AA AA 96 69 00 04 00 00 <SW3> <04 XOR SW3> (§7).
ERROR_CHECKSUMS = {0x10: 0x14, 0x11: 0x15, 0x21: 0x25, 0x24: 0x20, 0x31: 0x35, 0x32: 0x36, 0x33: 0x37}
ERROR_CHECKSUMS |= {0x40: 0x44, 0x47: 0x43, 0x60: 0x64, 0x66: 0x62, 0x91: 0x95}


@pytest.mark.parametrize(("built", "published"), PUBLISHED_REQUESTS)
def test_requests_match_the_published_frames(built, published):
    assert built == hexbytes(published)


@pytest.mark.parametrize(("frame", "sw3", "data"), PUBLISHED_ANSWERS)
def test_published_answers_decode_to_their_status_and_data(frame, sw3, data):
    (body,) = FrameDecoder().feed(hexbytes(frame))
    assert parse_response(body) == Response(0, 0, sw3, data)
    assert decode_frame(hexbytes(frame)) == body


@pytest.mark.parametrize(("sw3", "check"), sorted(ERROR_CHECKSUMS.items()))
def test_status_only_answers_follow_the_published_pattern(sw3, check):
    frame = bytes([0xAA, 0xAA, 0xAA, 0x96, 0x69, 0x00, 0x04, 0x00, 0x00, sw3, check])
    assert build_frame(bytes([0, 0, sw3])) == frame
    assert parse_response(decode_frame(frame)).sw3 == sw3


def test_a_read_answer_built_by_hand_has_the_published_header_and_size():
    frame = hand_built_read_answer(resident_block())
    assert frame[:14] == hexbytes("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert len(frame) == 1295
    assert decode_frame(frame)[:3] == bytes([0, 0, 0x90])


@pytest.mark.parametrize(
    ("fingerprint_bytes", "size", "length"), [(0, 1297, "05 0A"), (512, 1809, "07 0A"), (1024, 2321, "09 0A")]
)
def test_read_answers_with_fingerprints_have_the_published_sizes(fingerprint_bytes, size, length):
    frame = hand_built_read_answer(resident_block(), fingerprint_bytes=fingerprint_bytes)
    assert len(frame) == size
    assert frame[:10] == hexbytes(f"AA AA AA 96 69 {length} 00 00 90")
    assert frame[10:16] == bytes([1, 0, 4, 0]) + fingerprint_bytes.to_bytes(2, "big")


def test_decoder_slides_over_garbage_to_the_next_frame():
    found = hexbytes(PUBLISHED_ANSWERS[0][0])
    assert FrameDecoder().feed(b"\x00\xaa\xaa\x13" + found) == [found[7:-1]]


def test_a_corrupt_length_does_not_hide_the_answer_that_follows():
    stalled = hexbytes("AA AA AA 96 69 05 00 00 00")  # claims 1280 more bytes that never come
    answer = hexbytes(PUBLISHED_ANSWERS[1][0])
    decoder = FrameDecoder()
    assert decoder.feed(stalled + answer) == [answer[7:-1]]
    assert decoder.bad_lengths == 1


def test_a_bad_checksum_is_counted_and_dropped():
    frame = bytearray(hexbytes(PUBLISHED_ANSWERS[2][0]))
    frame[-1] ^= 1
    decoder = FrameDecoder()
    assert decoder.feed(bytes(frame)) == []
    assert decoder.bad_checksums == 1


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("AA AA AA 96 00 04 00 00 80 84", "no preamble"),
        ("AA AA AA 96 69 00", "truncated header"),
        ("AA AA AA 96 69 00 02 00 02", "length field 2"),
        ("AA AA AA 96 69 00 04 00 00 80", "4 data"),
        ("AA AA AA 96 69 00 04 00 00 80 85", "checksum"),
    ],
)
def test_decode_frame_names_what_is_wrong(frame, reason):
    with pytest.raises(IdCardError) as caught:
        decode_frame(hexbytes(frame))
    assert caught.value.code == "IDCARD_BAD_FRAME"
    assert reason.split()[0] in caught.value.detail


@pytest.mark.parametrize(
    ("sw3", "code"),
    [
        (0x10, "IDCARD_COMMAND_REJECTED"),
        (0x21, "IDCARD_COMMAND_REJECTED"),
        (0x31, "IDCARD_CARD_REJECTED"),
        (0x32, "IDCARD_CARD_REJECTED"),
        (0x40, "IDCARD_UNKNOWN_CARD"),
        (0x41, "IDCARD_CARD_MOVED"),
        (0x47, "IDCARD_CARD_MOVED"),
        (0x60, "IDCARD_SAM_FAULT"),
        (0x66, "IDCARD_SAM_FAULT"),
        (0x80, "IDCARD_NO_CARD"),
        (0x81, "IDCARD_CARD_MOVED"),
        (0x9F, "IDCARD_BAD_FRAME"),  # the answer to a find, arriving for a select: out of step
        (0xEE, "IDCARD_SAM_FAULT"),  # undocumented
    ],
)
def test_every_status_byte_becomes_its_typed_error(sw3, code):
    with pytest.raises(IdCardError) as caught:
        commands.check(commands.SELECT, Response(0, 0, sw3, bytes(8)))
    assert caught.value.code == code
    assert f"{sw3:02X}" in caught.value.detail


def test_the_driver_decides_on_sw3_alone():
    assert commands.check(commands.SELECT, Response(0x6A, 0x82, 0x90, bytes(8))) == bytes(8)


def test_a_good_status_with_the_wrong_data_size_is_a_bad_frame():
    with pytest.raises(IdCardError) as caught:
        commands.check(commands.FIND, Response(0, 0, 0x9F, bytes(8)))
    assert caught.value.code == "IDCARD_BAD_FRAME"


def test_sam_id_prints_as_reader_labels_do():
    raw = hexbytes("05 00 03 00 A5 41 34 01 15 CD 5B 07 39 30 00 00")
    assert commands.format_sam_id(raw) == "05.03-20201893-0123456789-0000012345"


def test_an_unsupported_baud_is_refused_before_anything_is_sent():
    with pytest.raises(IdCardError) as caught:
        commands.set_baud(4800)
    assert caught.value.code == "IDCARD_BAD_BAUD"


# --- property-based ---


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_never_raise_and_yield_only_checked_frames(data):
    for body in FrameDecoder().feed(data):
        assert 2 <= len(body) < MAX_LENGTH
        assert decode_frame(build_frame(body)) == body


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=40))
def test_decode_frame_raises_only_its_own_typed_error(data):
    try:
        decode_frame(hexbytes("AA AA AA 96 69") + data)
    except IdCardError as e:
        assert e.code == "IDCARD_BAD_FRAME"


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_the_same_frames_come_out_however_the_stream_is_cut(data):
    frames = [hexbytes(frame) for frame, _, _ in PUBLISHED_ANSWERS] + [
        hand_built_read_answer(resident_block())
    ]
    stream = b"".join(data.draw(st.permutations(frames)))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    decoder, bodies = FrameDecoder(), []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        bodies += decoder.feed(stream[start:end])
    assert bodies == [frame[7:-1] for frame in framesplit(stream)]


def framesplit(stream: bytes) -> list[bytes]:
    """Frames of a clean stream by their own length fields."""
    frames = []
    while stream:
        size = 7 + int.from_bytes(stream[5:7], "big")
        frames.append(stream[:size])
        stream = stream[size:]
    return frames


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_truncated_or_corrupted_read_answers_never_yield_a_wrong_card(data):
    """Any corruption the XOR checksum can see (the XOR of all changes is not zero) never passes;
    a truncated answer never passes; noise around the frame changes nothing."""
    good = hand_built_read_answer(resident_block())
    expected = parse_read_data(decode_frame(good)[3:], with_fingerprints=False)
    stream = bytearray(good)
    changes = data.draw(st.lists(st.tuples(st.integers(5, len(good) - 1), st.integers(1, 255)), max_size=4))
    for position, mask in changes:
        stream[position] ^= mask
    truncate = data.draw(st.integers(0, len(stream)))
    corrupted = bool(changes) and reduce(xor, (mask for _, mask in changes), 0) != 0
    assume(corrupted or not changes)
    noise = data.draw(st.binary(max_size=16))
    cards = []
    for body in FrameDecoder().feed(noise + bytes(stream[:truncate]) + data.draw(st.binary(max_size=16))):
        try:
            cards.append(parse_read_data(commands.check(commands.READ, parse_response(body)), False))
        except IdCardError:
            continue
    if corrupted or truncate < len(good):
        assert cards == []
    else:
        assert [(c.raw_text, c.raw_photo) for c in cards] == [(expected.raw_text, expected.raw_photo)]
