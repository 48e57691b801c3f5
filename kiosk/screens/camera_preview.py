"""The live document-camera preview: frames from the device service with the detected page outlined."""

from __future__ import annotations

import cv2
import numpy as np
from kivy.graphics import Color, Line
from kivy.graphics.texture import Texture
from kivy.uix.image import Image


class Preview(Image):
    """Camera frames with the page outline drawn over them."""

    def __init__(self, **kwargs) -> None:
        super().__init__(fit_mode="contain", **kwargs)
        self.corners: np.ndarray | None = None
        self.frame_size = (1, 1)
        self.bind(pos=self._outline, size=self._outline)

    def show(self, frame: np.ndarray, corners: np.ndarray | None) -> None:
        rgb = cv2.flip(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), 0)
        height, width = rgb.shape[:2]
        if self.texture is None or self.texture.size != (width, height):
            self.texture = Texture.create(size=(width, height), colorfmt="rgb")
        self.texture.blit_buffer(rgb.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
        self.canvas.ask_update()
        self.frame_size, self.corners = (width, height), corners
        self._outline()

    def _outline(self, *_: object) -> None:
        self.canvas.after.clear()
        if self.corners is None:
            return
        width, height = self.frame_size
        scale = min(self.width / width, self.height / height)
        left = self.x + (self.width - width * scale) / 2
        bottom = self.y + (self.height - height * scale) / 2
        points = []
        for x, y in self.corners:
            points += [left + x * scale, bottom + (height - y) * scale]
        with self.canvas.after:
            Color(0.1, 0.8, 0.3, 1)
            Line(points=points, close=True, width=4)
