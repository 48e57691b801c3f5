"""Materials: live camera preview with the detected page outlined; a page that lies still is captured
by itself (or by the capture button); per material its pages, each with its quality warnings and a
retake button."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.application import Page
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
        left = BoxLayout(orientation="vertical", spacing=t.gap * 0.5, size_hint_x=0.5)
        left.add_widget(Text(self.ui.tr("ui.materials.prompt"), t.body, bold=True))
        self.preview = Preview()
        left.add_widget(self.preview)
        left.add_widget(self._auto_line())
        row.add_widget(left)
        items = [self._material(m) for m in self.flow.service.materials_to_photograph]
        scroll = ScrollView(do_scroll_x=False, size_hint_x=0.5)
        scroll.add_widget(column(*items, spacing=t.gap * 0.6))
        row.add_widget(scroll)
        return row

    def _auto_line(self) -> Widget:
        t = self.t
        flow = self.flow
        target = flow.auto_target()
        if flow.capturing:
            text = self.ui.tr("ui.materials.capturing")
        elif flow.auto_capture and target is not None:
            text = self.ui.tr("ui.materials.auto_next", name=target.name)
        else:
            text = self.ui.tr("ui.materials.auto_off" if not flow.auto_capture else "ui.materials.all_done")
        line = BoxLayout(size_hint_y=None, height=t.touch, spacing=t.gap * 0.5)
        hint = Text(text, t.small, color=theme.MUTED)
        hint.bind(height=lambda *_: setattr(line, "height", max(t.touch, hint.height)))
        line.add_widget(hint)
        key = "ui.materials.auto_turn_off" if flow.auto_capture else "ui.materials.auto_turn_on"
        toggle = BigButton(
            self.ui.tr(key),
            t,
            lambda: flow.set_auto_capture(not flow.auto_capture),
            primary=False,
            size_hint_x=None,
            width=t.mm(55),
        )
        line.add_widget(self.action("auto", toggle))
        return line

    def _material(self, material: Material) -> Widget:
        t = self.t
        application = self.flow.application
        pages = application.pages_for(material.key)
        need = self.ui.tr("ui.materials.required" if material.required else "ui.materials.optional")
        header = BoxLayout(size_hint_y=None, height=t.touch, spacing=t.gap * 0.5)
        info = column(
            Text(material.name, t.body, bold=True),
            Text(
                f"{need} · {self.ui.tr('ui.materials.pages', n=len(pages))}",
                t.small,
                color=theme.OK if pages else theme.MUTED,
            ),
        )
        header.add_widget(info)
        busy = self.flow.capturing == material.key
        label = self.ui.tr("ui.materials.capturing_short" if busy else "ui.materials.capture")
        button = BigButton(
            label, t, lambda key=material.key: self.flow.capture(key), size_hint_x=None, width=t.mm(40)
        )
        button.disabled = bool(self.flow.capturing)
        header.add_widget(self.action(f"capture:{material.key}", button))
        info.bind(height=lambda *_: setattr(header, "height", max(info.height, t.touch)))
        header.height = max(info.height, t.touch)
        panel = Panel(padding=t.gap * 0.5, spacing=t.gap * 0.3, size_hint_y=None)
        panel.add_widget(header)
        for page in pages:
            panel.add_widget(self._page(application.pages.index(page), pages.index(page) + 1, page))
        panel.bind(minimum_height=panel.setter("height"))
        return panel

    def _page(self, index: int, number: int, page: Page) -> Widget:
        t = self.t
        row = BoxLayout(size_hint_y=None, height=t.touch, spacing=t.gap * 0.5)
        warnings = "、".join(self.ui.tr(f"ui.materials.warning_{w}") for w in page.warnings)
        text = self.ui.tr("ui.materials.page", n=number) + (
            f"：{warnings}" if warnings else f"：{self.ui.tr('ui.materials.page_ok')}"
        )
        row.add_widget(Text(text, t.small, color=theme.ALERT if warnings else theme.OK))
        retake = BigButton(
            self.ui.tr("ui.materials.retake"),
            t,
            lambda: self.flow.remove_page(index),
            primary=False,
            size_hint_x=None,
            width=t.mm(40),
        )
        row.add_widget(self.action(f"retake:{index}", retake))
        return row

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [self.footer_button("next", "ui.next", self.flow.finish_materials)]
