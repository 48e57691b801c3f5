"""Materials: live camera preview with the detected page outlined, and per material a capture button
and page count."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.catalog import Material
from kiosk.flow.bus import Event
from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.camera_preview import Preview
from kiosk.screens.widgets import BigButton, Panel, Text, column


class MaterialsScreen(FlowScreen):
    step = Step.MATERIALS
    title_key = "ui.materials.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.preview: Preview | None = None
        ui.flow.bus.subscribe("camera.preview", self._on_preview)

    def _on_preview(self, event: Event) -> None:
        if self.preview is not None and self.manager and self.manager.current == self.name:
            data = event.data
            self.preview.show(
                data["frame"],
                data["corners"],
                data.get("progress", 0.0),
                data.get("state", ""),
                data.get("cut_off", False),
            )

    def body(self) -> Widget:
        t = self.t
        row = BoxLayout(spacing=t.gap * 2)
        left = BoxLayout(orientation="vertical", spacing=t.gap * 0.5, size_hint_x=0.55)
        left.add_widget(Text(self.ui.tr("ui.materials.prompt"), t.body, bold=True))
        self.preview = Preview()
        left.add_widget(self.preview)
        row.add_widget(left)
        items = [self._material(m) for m in self.flow.service.materials_to_photograph]
        scroll = ScrollView(do_scroll_x=False, size_hint_x=0.45)
        scroll.add_widget(column(*items, spacing=t.gap * 0.6))
        row.add_widget(scroll)
        return row

    def _material(self, material: Material) -> Widget:
        t = self.t
        pages = self.flow.application.pages_for(material.key)
        need = self.ui.tr("ui.materials.required" if material.required else "ui.materials.optional")
        panel = Panel(orientation="horizontal", padding=t.gap * 0.5, spacing=t.gap * 0.5, size_hint_y=None)
        info = column(
            Text(material.name, t.body, bold=True),
            Text(
                f"{need} · {self.ui.tr('ui.materials.pages', n=len(pages))}",
                t.small,
                color=theme.OK if pages else theme.MUTED,
            ),
        )
        warnings = sorted({w for p in pages for w in p.warnings})
        for warning in warnings:
            info.add_widget(Text(self.ui.tr(f"ui.materials.warning_{warning}"), t.small, color=theme.ALERT))
        panel.add_widget(info)
        busy = self.flow.capturing == material.key
        label = self.ui.tr("ui.materials.capturing" if busy else "ui.materials.capture")
        button = BigButton(
            label, t, lambda key=material.key: self.flow.capture(key), size_hint_x=None, width=t.mm(45)
        )
        button.disabled = bool(self.flow.capturing)
        panel.add_widget(self.action(f"capture:{material.key}", button))
        panel.bind(minimum_height=panel.setter("height"))
        info.bind(height=lambda *_: setattr(panel, "height", max(info.height, t.touch) + t.gap))
        panel.height = max(info.height, t.touch) + t.gap
        return panel

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [self.footer_button("next", "ui.next", self.flow.finish_materials)]
