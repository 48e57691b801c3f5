"""Sizes and colours for elderly-friendly screens, from the panel's physical size in the config.

Body text >= 30 px and headings >= 48 px at 1080p (larger in elderly mode), touch targets >= 20 mm,
text contrast >= 7:1 against its background.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config import ScreenConfig

INK = (0.08, 0.09, 0.11, 1)  # on PAPER: contrast 17:1
PAPER = (0.97, 0.96, 0.93, 1)
PRIMARY = (0.04, 0.27, 0.53, 1)  # white text on it: 9.6:1
PRIMARY_TEXT = (1, 1, 1, 1)
SECONDARY = (1, 1, 1, 1)
SECONDARY_TEXT = PRIMARY  # 9.6:1 on white
MUTED = (0.24, 0.25, 0.28, 1)  # on PAPER: 9.5:1
ALERT = (0.58, 0.07, 0.07, 1)  # on PAPER: 8.5:1
ALERT_BACKGROUND = (0.99, 0.92, 0.91, 1)
OK = (0.05, 0.38, 0.16, 1)  # on PAPER: 7.3:1
PANEL = (1, 1, 1, 1)
LINE = (0.75, 0.75, 0.72, 1)
SAMPLE = (0.55, 0.31, 0.0, 1)  # on PAPER: 7.0:1


@dataclass(frozen=True)
class Theme:
    px_per_mm: float
    scale: float  # 1.0 normal, larger in elderly mode; 1080p is the reference

    @classmethod
    def for_screen(cls, screen: ScreenConfig, elderly: bool) -> Theme:
        reference = screen.height_px / 1080
        return cls(px_per_mm=screen.width_px / screen.width_mm, scale=reference * (1.3 if elderly else 1.0))

    def mm(self, millimetres: float) -> float:
        return millimetres * self.px_per_mm

    @property
    def body(self) -> float:
        return 32 * self.scale

    @property
    def small(self) -> float:
        return 30 * self.scale

    @property
    def subheading(self) -> float:
        """Section titles, tiles and fields: one size between body and heading (each size the
        screens use opens a font face of its own, 2.5 MB for Noto CJK)."""
        return 41.6 * self.scale

    @property
    def heading(self) -> float:
        return 52 * self.scale

    @property
    def hero(self) -> float:
        return 76 * self.scale

    @property
    def touch(self) -> float:
        """Height of a touch target: at least 20 mm, and room for the text."""
        return max(self.mm(20), self.body * 2.6)

    @property
    def gap(self) -> float:
        return 24 * self.scale
