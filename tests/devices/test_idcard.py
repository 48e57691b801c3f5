"""The GA 467 driver: byte-exact frames from the protocol notes, a fuzzed codec, and the real driver
against the simulator on a pty for every card type and fault."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices import idcard
from kiosk.errors import IdCardError
from kiosk.sim import people
from kiosk.sim.idcard import IdCardSimulator, encode_text, synthetic_photo

# Frames seen byte for byte in public sources (research notes, section 7).
FIND = "AA AA AA 96 69 00 03 20 01 22"
SELECT = "AA AA AA 96 69 00 03 20 02 21"
READ = "AA AA AA 96 69 00 03 30 01 32"
FOUND = "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97"
NO_CARD = "AA AA AA 96 69 00 04 00 00 80 84"
SELECTED = "AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C"
READ_FAILED = "AA AA AA 96 69 00 04 00 00 41 45"


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


@pytest.mark.parametrize(
    ("command", "frame"), [(idcard.CMD_FIND, FIND), (idcard.CMD_SELECT, SELECT), (idcard.CMD_READ, READ)]
)
def test_requests_match_the_published_frames(command, frame):
    assert idcard.build_request(*command) == hexbytes(frame)


@pytest.mark.parametrize(
    ("frame", "sw3", "data"),
    [(FOUND, 0x9F, bytes(4)), (NO_CARD, 0x80, b""), (SELECTED, 0x90, bytes(8)), (READ_FAILED, 0x41, b"")],
)
def test_published_responses_decode(frame, sw3, data):
    (body,) = idcard.FrameDecoder().feed(hexbytes(frame))
    response = idcard.parse_response(body)
    assert (response.sw3, response.data) == (sw3, data)


def test_read_response_header_matches_the_published_prefix():
    card = people.resident()
    frame = idcard.build_frame(
        bytes([0, 0, 0x90]) + bytes.fromhex("01000400") + encode_text(card) + synthetic_photo()
    )
    assert frame[:14] == hexbytes("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    assert len(frame) == 1295


def hand_built_resident_text() -> bytes:
    """A text block laid out by hand from the GA/T 490 table (offsets 0, 30, 32, 36, 52, 122, 158, 188, 204)."""
    fields = [
        ("王建国", 30),
        ("1", 2),
        ("01", 4),
        ("19560301", 16),
        ("贵州省惠水县示例村", 70),
        (people.resident().id_number, 36),
        ("惠水县公安局", 30),
        ("20160815", 16),
        ("长期", 16),
        ("", 36),
    ]
    block = b"".join(
        (value.encode("utf-16-le") + " ".encode("utf-16-le") * size)[:size] for value, size in fields
    )
    assert len(block) == 256
    return block


def test_parser_reads_a_hand_built_resident_block():
    card = idcard.parse_text(hand_built_resident_text())
    assert (card.card_type, card.name, card.sex, card.nation) == ("resident", "王建国", "男", "汉")
    assert (card.birth_date, card.valid_from, card.valid_to) == ("1956-03-01", "2016-08-15", "长期")
    assert card.issuer == "惠水县公安局"


def test_number_that_disagrees_with_the_card_is_a_read_error():
    text = bytearray(hand_built_resident_text())
    text[36:52] = "19560302".encode("utf-16-le")  # birth date no longer matches digits 7-14
    with pytest.raises(IdCardError) as caught:
        idcard.parse_text(bytes(text))
    assert caught.value.code == "IDCARD_BAD_NUMBER"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_decoder_never_raises_on_random_bytes(data):
    for body in idcard.FrameDecoder().feed(data):
        assert 3 <= len(body) + 1 <= idcard.MAX_BODY


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_corrupted_or_truncated_read_frames_never_yield_a_wrong_card(data):
    card = people.resident()
    good = idcard.build_frame(
        bytes([0, 0, 0x90]) + bytes.fromhex("01000400") + encode_text(card) + synthetic_photo()
    )
    stream = bytearray(good)
    for _ in range(data.draw(st.integers(0, 3))):
        stream[data.draw(st.integers(0, len(stream) - 1))] ^= data.draw(st.integers(1, 255))
    stream = stream[: data.draw(st.integers(0, len(stream)))]
    noise = data.draw(st.binary(max_size=20))
    for body in idcard.FrameDecoder().feed(noise + bytes(stream)):
        try:
            parsed = idcard.parse_read_data(idcard.parse_response(body).data, with_fingerprint=False)
        except IdCardError:
            continue
        assert (parsed.name, parsed.id_number) == (card.name, card.id_number)


@pytest.fixture
def sim():
    with IdCardSimulator() as device:
        yield device


@pytest.fixture
def reader(sim):
    with idcard.IdCardReader(sim.port, command_timeout=0.3) as device:
        yield device


@pytest.mark.parametrize("kind", sorted(people.ALL_TYPES))
def test_every_card_type_reads_through_the_real_driver(sim, reader, kind):
    expected = people.ALL_TYPES[kind]()
    sim.place(expected)
    card = reader.read_card()
    assert card.card_type == kind
    assert (card.name, card.id_number) == (expected.name, expected.id_number)
    assert card.name_en == expected.name_en
    assert card.birth_date.replace("-", "") == expected.birth
    assert len(card.raw_text) == 256 and len(card.raw_photo) == 1024
    assert card.photo == "unavailable"
    for key, value in expected.extra.items():
        assert card.extra[key] == value


def test_a_card_is_read_once_per_placement(sim, reader):
    sim.place(people.resident())
    reader.read_card()
    assert not reader.card_present()
    sim.lift()
    sim.place(people.resident())
    assert reader.card_present()


def test_card_moved_during_read(sim, reader):
    sim.place(people.resident())
    sim.fail_next_read = True
    with pytest.raises(IdCardError) as caught:
        reader.read_card()
    assert caught.value.code == "IDCARD_CARD_MOVED"
    assert reader.read_card().name == "王建国"  # a fresh find reads it


def test_garbled_reply_is_a_bad_frame(sim, reader):
    sim.garble_next = True
    with pytest.raises(IdCardError) as caught:
        reader.status_ok()
    assert caught.value.code == "IDCARD_BAD_FRAME"


def test_silent_reader_times_out(sim, reader):
    sim.silent = True
    with pytest.raises(IdCardError) as caught:
        reader.card_present()
    assert caught.value.code == "IDCARD_TIMEOUT"


def test_sam_fault_reports_its_status_code(sim, reader):
    sim.sam_fault = 0x60
    with pytest.raises(IdCardError) as caught:
        reader.card_present()
    assert caught.value.code == "IDCARD_SAM_FAULT"
    assert "60" in caught.value.message("en")


def test_sam_id_has_the_printed_shape(reader):
    assert reader.sam_id() == "05.03-20201893-0123456789-0000012345"


def test_missing_port_is_no_reader(tmp_path):
    with pytest.raises(IdCardError) as caught:
        idcard.IdCardReader(str(tmp_path / "ttyUSB9")).open()
    assert caught.value.code == "IDCARD_NO_READER"
