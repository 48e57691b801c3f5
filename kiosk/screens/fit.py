"""The automatic check that nothing is cut off or overlapping: every label's rendered text fits its
widget, and every widget lies inside its parent (or inside the content of its scroll view)."""

from __future__ import annotations

from kivy.uix.label import Label
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

TOLERANCE_PX = 2.0


def _box(widget: Widget) -> tuple[float, float, float, float]:
    x, y = widget.to_window(widget.x, widget.y)
    return x, y, x + widget.width, y + widget.height


def _inside(inner: tuple, outer: tuple) -> bool:
    return (
        inner[0] >= outer[0] - TOLERANCE_PX
        and inner[1] >= outer[1] - TOLERANCE_PX
        and inner[2] <= outer[2] + TOLERANCE_PX
        and inner[3] <= outer[3] + TOLERANCE_PX
    )


def _describe(widget: Widget) -> str:
    text = getattr(widget, "text", "")
    return f"{type(widget).__name__}({text[:30]!r})" if text else type(widget).__name__


def problems(root: Widget) -> list[str]:
    """What does not fit under `root`, in words (empty when everything fits)."""
    found: list[str] = []
    for widget in root.walk(restrict=True):
        if widget is root or widget.parent is None or widget.width <= 0 or widget.height <= 0:
            continue
        if isinstance(widget, Label) and widget.text.strip():
            width, height = widget.texture_size
            if width > widget.width + TOLERANCE_PX or height > widget.height + TOLERANCE_PX:
                found.append(
                    f"text of {_describe(widget)} needs {width:.0f}x{height:.0f}, has {widget.width:.0f}x{widget.height:.0f}"
                )
        parent = widget.parent
        if isinstance(parent, ScrollView) or parent is None:
            continue  # scrolled content may be larger than its viewport
        if not _inside(_box(widget), _box(parent)):
            found.append(f"{_describe(widget)} sticks out of {_describe(parent)}")
    return found
