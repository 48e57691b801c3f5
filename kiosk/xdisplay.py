"""A display for the Kivy app: the real one when present, else a private Xvfb server.

Must run before Kivy is imported; Kivy reads DISPLAY once.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from kiosk.errors import KioskError


class VirtualDisplay:
    def __init__(self, width: int, height: int) -> None:
        self.size = (width, height)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> VirtualDisplay:
        if os.environ.get("DISPLAY"):
            return self
        if not shutil.which("Xvfb"):
            raise KioskError("FILE_MISSING", file="Xvfb (Debian package xvfb)")
        read_end, write_end = os.pipe()
        self.process = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_end),
                "-screen",
                "0",
                f"{self.size[0]}x{self.size[1]}x24",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write_end,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise KioskError("FILE_MISSING", file="a working Xvfb")
        os.environ["DISPLAY"] = f":{number}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=5)
            os.environ.pop("DISPLAY", None)
