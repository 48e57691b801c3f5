"""The real driver against the simulated SAM on a pty: every card type and frame size, every injected
fault, the port opened exclusively, and an unplugged reader found again by its stable path."""

import shutil
import subprocess
from dataclasses import replace

import pytest
import serial

from kiosk.devices.idcard import IdCardReader, WltDecoder, probe
from kiosk.devices.idcard.codec import FrameDecoder, build_request, parse_response
from kiosk.errors import IdCardError
from kiosk.sim import people
from kiosk.sim.idcard import IdCardSimulator

FIND, SELECT, READ = (0x20, 0x01), (0x20, 0x02), (0x30, 0x01)


@pytest.fixture
def sim(tmp_path):
    with IdCardSimulator(link=tmp_path / "idcard") as device:
        yield device


@pytest.fixture
def reader(sim):
    with IdCardReader(sim.path, command_timeout=0.4, read_timeout=2.0) as device:
        yield device


def fails_with(call, *args, **kwargs) -> IdCardError:
    with pytest.raises(IdCardError) as caught:
        call(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize("kind", sorted(people.ALL_TYPES))
def test_every_card_type_reads_through_the_real_driver(sim, reader, kind):
    expected = people.ALL_TYPES[kind]()
    sim.place(expected)
    card = reader.read_card()
    assert card.card_type == kind
    assert (card.name, card.name_en, card.id_number) == (expected.name, expected.name_en, expected.id_number)
    assert card.birth_date.replace("-", "") == expected.birth
    assert card.sex == {"1": "男", "2": "女"}[expected.sex_code]
    assert card.extra == expected.extra
    assert (len(card.raw_text), len(card.raw_photo), card.photo) == (256, 1024, "unavailable")
    assert sim.answer_sizes[-1] == 1295


@pytest.mark.parametrize(("templates", "size"), [(0, 1297), (1, 1809), (2, 2321)])
def test_reads_with_fingerprints_take_the_published_frame_sizes(sim, reader, templates, size):
    sim.place(replace(people.foreign_2023(), fingerprints=templates))
    card = reader.read_card(fingerprints=True)
    assert len(card.raw_fingerprints) == 512 * templates
    assert sim.answer_sizes[-1] == size


def test_a_card_is_read_once_per_placement(sim, reader):
    sim.place(people.resident())
    assert reader.read_card_if_present() is not None
    assert reader.read_card_if_present() is None  # still lying there: the SAM will not find it again
    sim.lift()
    assert not reader.find()  # and lifted looks just the same: the protocol cannot tell them apart
    sim.place(people.resident())
    assert reader.read_card_if_present().name == "王建国"


def test_a_card_that_slid_during_the_read_is_retried_from_find(sim, reader):
    sim.place(people.resident())
    sim.script("sw12 6A 82")  # the card's own status travels with SW3 41; the driver looks at SW3 only
    sim.script("moved")
    assert reader.read_card().name == "王建国"
    assert sim.commands == [FIND, SELECT, READ, FIND, SELECT, READ]


def test_a_card_lifted_mid_read_asks_for_the_card_again(sim, reader):
    sim.place(people.resident())
    sim.script("lift-mid-read")
    assert fails_with(reader.read_card).code == "IDCARD_CARD_MOVED"
    assert sim.commands == [FIND, SELECT, READ, FIND]


def test_a_garbled_find_answer_is_a_bad_frame(sim, reader):
    sim.place(people.resident())
    sim.script("garble find")
    assert fails_with(reader.find).code == "IDCARD_BAD_FRAME"
    assert reader.read_card().name == "王建国"


def test_a_garbled_select_answer_is_retried_from_find(sim, reader):
    sim.place(people.resident())
    sim.script("garble select")
    assert reader.read_card().name == "王建国"
    assert sim.commands == [FIND, SELECT, FIND, SELECT, READ]


def test_a_read_answer_garbled_on_the_wire_asks_for_the_card_again_then_reads_it(sim, reader):
    sim.place(people.resident())
    sim.script("garble read")
    assert fails_with(reader.read_card).code == "IDCARD_CARD_MOVED"  # the SAM finished: find says no card
    assert sim.commands == [FIND, SELECT, READ, FIND]
    sim.lift()
    sim.place(people.resident())
    assert reader.read_card().name == "王建国"


def test_a_dropped_select_answer_times_out_and_is_retried(sim, reader):
    sim.place(people.resident())
    sim.script("drop select")
    assert reader.read_card().name == "王建国"
    assert sim.commands == [FIND, SELECT, FIND, SELECT, READ]


def test_every_read_has_its_own_deadline(sim):
    sim.place(people.resident())
    sim.script("drop read")
    with IdCardReader(sim.path, command_timeout=0.3, read_timeout=0.6) as reader:
        error = fails_with(reader.read_card)
    assert error.code == "IDCARD_CARD_MOVED"
    assert sim.commands == [FIND, SELECT, READ, FIND]


def test_split_and_delayed_writes_still_make_one_answer(sim, reader):
    sim.place(people.hk_mo_tw())
    sim.script("split 7 0.002")
    assert reader.read_card().extra["pass_number"] == "H12345678"


def test_a_silent_reader_times_out(sim, reader):
    sim.script("silent")
    error = fails_with(reader.find)
    assert error.code == "IDCARD_TIMEOUT" and "silent" in error.detail


@pytest.mark.parametrize("status", ["60", "66"])
def test_a_sam_fault_reports_its_status_code(sim, reader, status):
    sim.script(f"sam {status}")
    error = fails_with(reader.find)
    assert error.code == "IDCARD_SAM_FAULT"
    assert status in error.message("zh_CN") and status in error.message("en")
    assert reader.status() == int(status, 16)


@pytest.mark.parametrize(
    ("status", "code", "reads"),
    [("31", "IDCARD_CARD_REJECTED", 1), ("32", "IDCARD_CARD_REJECTED", 1), ("40", "IDCARD_UNKNOWN_CARD", 1)],
)
def test_a_card_the_sam_refuses_is_reported_without_retrying(sim, reader, status, code, reads):
    sim.place(people.resident())
    sim.script(f"card {status}")
    assert fails_with(reader.read_card).code == code
    assert sim.commands.count(READ) == reads


def test_a_random_number_failure_is_retried(sim, reader):
    sim.place(people.resident())
    sim.script("card 47")
    assert reader.read_card().name == "王建国"


def test_sam_id_status_and_reset(sim, reader):
    assert reader.sam_id().text == "05.03-20201893-0123456789-0000012345"
    assert reader.status() == 0x90
    reader.reset()
    reader.check_status()


def test_the_reader_follows_a_baud_change(sim, reader):
    reader.set_baud(57600)
    assert (sim.baud, reader.baud) == (57600, 57600)
    sim.place(people.resident())
    assert reader.read_card().name == "王建国"


def test_an_appended_address_is_read_when_asked_for(sim, reader):
    sim.place(replace(people.resident(), appended_address="贵州省惠水县新址村二组6号"))
    assert reader.read_card(appended_address=True).extra["appended_address"] == "贵州省惠水县新址村二组6号"
    sim.place(people.resident())
    assert "appended_address" not in reader.read_card(appended_address=True).extra  # SW3 91: none


def test_the_port_is_opened_exclusively(sim, reader):
    assert fails_with(IdCardReader(sim.path).open).code == "IDCARD_BUSY"
    assert probe(sim.path, timeout=0.3) is False


def test_a_missing_port_is_no_reader(tmp_path):
    assert fails_with(IdCardReader(str(tmp_path / "ttyUSB9")).open).code == "IDCARD_NO_READER"


def test_an_unplugged_reader_is_found_again_by_its_stable_path(sim, reader):
    sim.place(people.resident())
    sim.unplug()
    assert fails_with(reader.find).code == "IDCARD_NO_READER"
    assert fails_with(reader.find).code == "IDCARD_NO_READER"  # the link is gone until it is plugged in
    sim.plug()
    assert reader.read_card().name == "王建国"  # the card still lay there: powered up, it is new again


def test_a_new_simulator_on_the_same_link_is_a_replugged_reader(tmp_path):
    link = tmp_path / "idcard"
    reader = IdCardReader(str(link), command_timeout=0.4)  # opens on its first command
    try:
        with IdCardSimulator(link=link) as first:
            first.place(people.resident())
            assert reader.read_card().card_type == "resident"
        assert fails_with(reader.find).code == "IDCARD_NO_READER"
        with IdCardSimulator(link=link) as second:
            second.place(people.foreign_2023())
            assert reader.read_card().card_type == "foreign_2023"
    finally:
        reader.close()


def raw_exchange(port: str, request: bytes) -> int:
    with serial.Serial(port, 115200, timeout=1.0) as line:
        line.write(request)
        decoder, bodies = FrameDecoder(), []
        while not bodies:
            chunk = line.read(1)
            assert chunk, "no answer"
            bodies = decoder.feed(chunk)
        return parse_response(bodies[0]).sw3


def test_the_simulator_answers_a_request_with_a_bad_checksum_with_sw3_10(sim):
    request = bytearray(build_request(0x20, 0x01))
    request[-1] ^= 0xFF
    assert raw_exchange(sim.port, bytes(request)) == 0x10


def test_the_simulator_answers_an_unknown_command_with_sw3_21(sim):
    assert raw_exchange(sim.port, build_request(0x99, 0x01)) == 0x21


def test_a_missing_photo_library_is_a_typed_error(tmp_path):
    error = fails_with(WltDecoder, tmp_path / "libwlt.so")
    assert error.code == "IDCARD_PHOTO_DECODER" and "libwlt.so" in error.message("en")


FAKE_VENDOR_LIBRARY = r"""
#include <string.h>
/* Stands in for the vendor's decoder in tests: the real one is proprietary. */
int wltGetBMP(char *wlt, char *bmp) {
    if (wlt[0] != 'W' || wlt[1] != 'L') return -1;
    memset(bmp, 0x80, 38862);
    bmp[0] = 'B'; bmp[1] = 'M';
    return 1;
}
"""


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler to build a stand-in library")
def test_a_configured_photo_library_decodes_through_ctypes(sim, tmp_path):
    source = tmp_path / "wlt.c"
    source.write_text(FAKE_VENDOR_LIBRARY)
    library = tmp_path / "libwlt.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), str(source)], check=True)
    sim.place(people.resident())
    with IdCardReader(sim.path, photo_decoder=WltDecoder(library)) as reader:
        card = reader.read_card()
    assert card.photo == "decoded" and card.photo_bmp[:2] == b"BM" and len(card.photo_bmp) == 38862
