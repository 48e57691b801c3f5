"""Service catalog: large tiles, one per service, marked 示例 until the township confirms the data."""

from __future__ import annotations

from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.catalog import Service
from kiosk.flow.controller import Step
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import BigButton


class CatalogScreen(FlowScreen):
    step = Step.CATALOG
    title_key = "ui.catalog.title"

    def body(self) -> Widget:
        t = self.t
        grid = GridLayout(cols=3, spacing=t.gap, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        for service in self.flow.catalog:
            grid.add_widget(self.action(f"service:{service.code}", self._tile(service)))
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(grid)
        return scroll

    def _tile(self, service: Service) -> Widget:
        t = self.t
        sample = f"\n[{self.ui.tr('ui.sample')}]" if service.sample else ""
        label = f"{service.name}\n[size={int(t.small)}]{service.summary}{sample}[/size]"
        tile = BigButton(
            label,
            t,
            lambda code=service.code: self.flow.choose_service(code),
            primary=False,
            height=t.touch * 2.6,
        )
        tile.markup = True
        tile.font_size = t.heading * 0.75
        return tile
