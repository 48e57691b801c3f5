"""A terminal in the middle of a resident's session (card read, a page photographed), on
simulated devices: prints READY, then waits to be killed with SIGKILL by the privacy test."""

import sys
import time
from pathlib import Path

from kiosk.demo import DemoRig, identify, materials_to_capture, wait
from kiosk.flow.terminal import Terminal


def main(workdir: str) -> None:
    with DemoRig(Path(workdir)) as rig:
        terminal = Terminal(rig.config).start()
        flow = identify(terminal, rig)
        material = materials_to_capture(flow.service)[0]
        rig.place_material(material)
        flow.capture(material.key)
        wait(terminal, lambda: len(flow.application.pages) == 1, "capture")
        print("READY", flush=True)
        time.sleep(600)


if __name__ == "__main__":
    main(sys.argv[1])
