"""Device detection: each probe recognises its own device and nothing else, within a second."""

import pytest

from kiosk.devices import idcard, printer, signature_pad
from kiosk.sim.idcard import IdCardSimulator
from kiosk.sim.printer import PrinterSimulator
from kiosk.sim.sigpad import SignaturePadSimulator

PROBES = {"idcard": idcard.probe, "printer": printer.probe, "sigpad": signature_pad.probe}
SIMS = {
    "idcard": IdCardSimulator,
    "printer": PrinterSimulator,
    "sigpad": lambda: SignaturePadSimulator(baud=38400),
}


@pytest.mark.parametrize("device", sorted(SIMS))
def test_each_probe_finds_only_its_own_device(device):
    with SIMS[device]() as sim:
        for name, probe in PROBES.items():
            assert probe(sim.port, timeout=0.5) is (name == device), (name, device)


def test_probes_say_no_for_a_missing_port(tmp_path):
    for probe in PROBES.values():
        assert probe(str(tmp_path / "ttyUSB7"), timeout=0.3) is False
