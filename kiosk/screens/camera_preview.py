"""The live document-camera preview: frames from the device service with the detected page outlined
and the auto-capture countdown drawn as a ring that closes while the page lies still."""

from __future__ import annotations

import cv2
import numpy as np
from kivy.graphics import Color, Ellipse, Line
from kivy.graphics.texture import Texture
from kivy.uix.image import Image

OUTLINE = {"holding": (0.1, 0.8, 0.3, 1), "captured": (0.15, 0.45, 0.95, 1), "cut_off": (0.95, 0.55, 0.1, 1)}
RING_TRACK = (1, 1, 1, 0.55)


class Preview(Image):
    """Camera frames with the page outline and, while a page is held still, the countdown ring."""

    def __init__(self, **kwargs) -> None:
        super().__init__(fit_mode="contain", **kwargs)
        self.corners: np.ndarray | None = None
        self.frame_size = (1, 1)
        self.progress = 0.0
        self.state = "searching"
        self.cut_off = False
        self.bind(pos=self._overlay, size=self._overlay)

    def show(
        self,
        frame: np.ndarray,
        corners: np.ndarray | None,
        progress: float = 0.0,
        state: str = "",
        cut_off: bool = False,
    ) -> None:
        rgb = cv2.flip(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), 0)
        height, width = rgb.shape[:2]
        if self.texture is None or self.texture.size != (width, height):
            self.texture = Texture.create(size=(width, height), colorfmt="rgb")
        self.texture.blit_buffer(rgb.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
        self.canvas.ask_update()
        self.frame_size, self.corners = (width, height), corners
        self.progress, self.state, self.cut_off = (
            progress,
            state or ("holding" if corners is not None else "searching"),
            cut_off,
        )
        self._overlay()

    def _to_widget(self, points: np.ndarray) -> list[float]:
        width, height = self.frame_size
        scale = min(self.width / width, self.height / height)
        left = self.x + (self.width - width * scale) / 2
        bottom = self.y + (self.height - height * scale) / 2
        out: list[float] = []
        for x, y in points:
            out += [left + x * scale, bottom + (height - y) * scale]
        return out

    def _overlay(self, *_: object) -> None:
        self.canvas.after.clear()
        if self.corners is None:
            return
        points = self._to_widget(self.corners)
        colour = OUTLINE["cut_off"] if self.cut_off else OUTLINE.get(self.state, OUTLINE["holding"])
        with self.canvas.after:
            Color(*colour)
            Line(points=points, close=True, width=4)
            if self.state in ("holding", "captured"):
                self._ring(points, colour)

    def _ring(self, points: list[float], colour: tuple[float, ...]) -> None:
        """The countdown: a full faint circle at the page's centre and a bright arc growing clockwise."""
        xs, ys = points[0::2], points[1::2]
        cx, cy = sum(xs) / 4, sum(ys) / 4
        radius = max(24.0, min(self.width, self.height) * 0.09)
        Color(0, 0, 0, 0.35)
        Ellipse(pos=(cx - radius, cy - radius), size=(radius * 2, radius * 2))
        Color(*RING_TRACK)
        Line(circle=(cx, cy, radius * 0.8), width=3)
        if self.progress > 0:
            Color(*colour)
            Line(circle=(cx, cy, radius * 0.8, 0, 360 * min(self.progress, 1.0)), width=7)
