"""The device service's printer: results as events, paper-near-end in the health the heartbeat reads,
and a receipt torn by a paper-out that is reprinted whole (marked 补打) once paper is loaded."""

import dataclasses

import pytest

from kiosk import receipts
from kiosk.config import Config
from kiosk.flow.bus import EventBus
from kiosk.flow.devices import DeviceService
from kiosk.sim.printer import PrinterSimulator

RECEIPT = receipts.receipt_data(
    case_number="000126112800050",
    service_name="高龄津贴申领",
    applicant_name="陈淑珍",
    id_number="110105193811250026",
    materials=[{"name": "户口簿", "pages": 2}],
    owed_materials=[],
    promised_days=30,
    status_url="http://127.0.0.1:8787/status/000126112800050",
    terminal_name="示例村便民服务站自助终端",
    hotline="12345",
    submitted_at="2026-11-28T22:10:00+08:00",
)


@pytest.fixture
def rig(tmp_path):
    with PrinterSimulator(output_dir=tmp_path) as sim:
        config = Config().devices
        config = dataclasses.replace(
            config,
            printer=dataclasses.replace(config.printer, port=sim.port, finish_timeout_s=3.0),
            sigpad=dataclasses.replace(config.sigpad, port=""),
        )
        bus = EventBus()
        events = []
        for name in ("print.done", "print.failed", "printer.paper_low", "printer.checked"):
            bus.subscribe(name, events.append)
        service = DeviceService(config, bus)
        service.start()
        yield sim, service, bus, events
        service.stop()


def wait_for(bus, events, name, count=1):
    assert bus.run_until(lambda: sum(e.name == name for e in events) >= count, timeout=15), name
    return [e for e in events if e.name == name][count - 1]


def test_paper_near_end_reaches_the_health_and_one_event(rig):
    sim, service, bus, events = rig
    sim.paper_near_end = True
    service.print_receipt(RECEIPT)
    done = wait_for(bus, events, "print.done")
    assert done.data["kind"] == "receipt" and done.data["paper_near_end"]
    service.print_receipt(RECEIPT, reprint=True)
    wait_for(bus, events, "print.done", 2)
    assert service.printer_paper_low and service.health["printer"].warning == "PRINTER_PAPER_NEAR_END"
    assert sum(e.name == "printer.paper_low" for e in events) == 1


def test_the_idle_status_check_finds_paper_near_end_without_printing(rig):
    sim, service, bus, events = rig
    sim.paper_near_end = True
    service.check_printer()
    checked = wait_for(bus, events, "printer.checked")
    assert checked.data["health"].warning == "PRINTER_PAPER_NEAR_END" and checked.data["health"].ok
    assert service.printer_paper_low and sim.receipts == []


def test_a_receipt_torn_by_paper_out_is_reprinted_whole(rig):
    sim, service, bus, events = rig
    sim.paper_lines_left = 10
    service.print_receipt(RECEIPT)
    failed = wait_for(bus, events, "print.failed")
    assert failed.data["error"].code == "PRINTER_PAPER_OUT"
    assert not service.health["printer"].ok
    sim.load_paper()
    service.print_receipt(RECEIPT, reprint=True)
    wait_for(bus, events, "print.done")
    torn, whole = sim.receipts
    assert torn.torn and not whole.torn
    assert "（补打）" in whole.text and "申请人：陈*珍（证件尾号 0026）" in whole.text
    assert service.health["printer"].ok


def test_every_document_kind_prints_through_the_service(rig):
    sim, service, bus, events = rig
    service.print_test_page("KIOSK-0001")
    service.print_agent_list(receipts.agent_list_data("李秀英", "示例村便民服务站", []))
    wait_for(bus, events, "print.done", 2)
    assert [e.data["kind"] for e in events if e.name == "print.done"] == ["test_page", "agent_list"]
    assert "今日没有代办的申请。" in sim.receipts[1].text
