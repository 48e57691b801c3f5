"""Materials: live camera preview with the detected page outlined; a page that lies still is captured
by itself (or by the capture button); per material its pages, each with its quality warnings and a
retake button.

A capture starting or ending changes the screen in place (`change_in_place`): rebuilding all of it twice a page
left some 17,000 objects of Kivy garbage each time, and the app's memory crept by 35-50 MB over ten
pages (docs/ui.md, "Memory")."""

from __future__ import annotations

import gc

from kivy.clock import Clock
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
        self.materials: BoxLayout | None = None  # the materials' panels, in the scroll view
        self.panels: dict[str, tuple[tuple, Widget]] = {}  # per material: the pages it shows, its panel
        self.auto_hint: Text | None = None
        ui.flow.bus.subscribe("camera.preview", self._on_preview)

    def frame_state(self) -> tuple:
        # and the label of the auto-capture switch, in the footer
        return (*super().frame_state(), self.flow.auto_capture)

    def refresh(self) -> None:
        self.panels = {}
        super().refresh()

    def forget(self) -> None:
        super().forget()
        self.preview = self.materials = self.auto_hint = None
        self.panels = {}

    def change_in_place(self) -> bool:
        """Only what a capture changes: the auto-capture hint and the capture buttons in place, and
        the panel of a material whose pages changed; the preview and the rest stay as they are."""
        if self.materials is None or self.auto_hint is None:
            return False
        self.auto_hint.text = self._auto_text()
        materials = self.flow.service.materials_to_photograph
        changed = [m for m in materials if self._pages_state(m) != self.panels[m.key][0]]
        for material in changed:  # pages renumber when one is retaken: drop every old name first
            for index, _ in self.panels[material.key][0]:
                del self.actions[f"retake:{index}"]
        for material in changed:
            panel = self.panels[material.key][1]
            at = self.materials.children.index(panel)
            self.materials.remove_widget(panel)
            self.materials.add_widget(self._material(material), index=at)
        if changed:  # the old panel is garbage in cycles: gone before the next page's frame is decoded
            Clock.schedule_once(lambda _dt: gc.collect(), 0)
        for material in materials:
            button = self.actions[f"capture:{material.key}"]
            button.text, button.disabled = self._capture_button(material)
        return True

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
        left.add_widget(self._auto_hint())
        row.add_widget(left)
        items = [self._material(m) for m in self.flow.service.materials_to_photograph]
        scroll = ScrollView(do_scroll_x=False, size_hint_x=0.5)
        self.materials = column(*items, spacing=t.gap * 0.6)
        scroll.add_widget(self.materials)
        row.add_widget(scroll)
        return row

    def _auto_text(self) -> str:
        flow = self.flow
        target = flow.auto_target()
        if flow.capturing:
            return self.ui.tr("ui.materials.capturing")
        if flow.auto_capture and target is not None:
            return self.ui.tr("ui.materials.auto_next", name=target.name)
        return self.ui.tr("ui.materials.auto_off" if not flow.auto_capture else "ui.materials.all_done")

    def _auto_hint(self) -> Widget:
        self.auto_hint = Text(self._auto_text(), self.t.small, color=theme.MUTED)
        return self.auto_hint

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
        label, disabled = self._capture_button(material)
        button = BigButton(
            label, t, lambda key=material.key: self.flow.capture(key), size_hint_x=None, width=t.mm(40)
        )
        button.disabled = disabled
        header.add_widget(self.action(f"capture:{material.key}", button))
        info.bind(height=lambda *_: setattr(header, "height", max(info.height, t.touch)))
        header.height = max(info.height, t.touch)
        panel = Panel(padding=t.gap * 0.5, spacing=t.gap * 0.3, size_hint_y=None)
        panel.add_widget(header)
        for page in pages:
            panel.add_widget(self._page(application.pages.index(page), pages.index(page) + 1, page))
        panel.bind(minimum_height=panel.setter("height"))
        self.panels[material.key] = (self._pages_state(material), panel)
        return panel

    def _pages_state(self, material: Material) -> tuple:
        """The material's pages as its panel shows them (the index names each retake)."""
        application = self.flow.application
        return tuple(
            (application.pages.index(p), tuple(p.warnings)) for p in application.pages_for(material.key)
        )

    def _capture_button(self, material: Material) -> tuple[str, bool]:
        """The capture button's label, and whether it is disabled (while any page is being taken)."""
        busy = self.flow.capturing == material.key
        label = self.ui.tr("ui.materials.capturing_short" if busy else "ui.materials.capture")
        return label, bool(self.flow.capturing)

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
        # the switch sits in the footer, not under the preview: there its line took the preview's
        # room on a small panel in elderly mode
        flow = self.flow
        switch = "ui.materials.auto_turn_off" if flow.auto_capture else "ui.materials.auto_turn_on"
        return [
            self.footer_button(
                "auto",
                switch,
                lambda: flow.set_auto_capture(not flow.auto_capture),
                width_mm=55,
                primary=False,
            ),
            self.footer_button("next", "ui.next", self.flow.finish_materials),
        ]
