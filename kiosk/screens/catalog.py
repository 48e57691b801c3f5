"""Service catalog: category tabs, a search typed on the pinyin keyboard, large tiles (marked 示例 until
the township confirms a service's data)."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.catalog import Service
from kiosk.flow.controller import FlowView, Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.keyboard import PinyinKeyboard
from kiosk.screens.widgets import BigButton, Text, whole_px

GUIDES_AHEAD = 9  # a screenful of tiles


class CatalogScreen(FlowScreen):
    step = Step.CATALOG
    title_key = "ui.catalog.title"

    def __init__(self, ui) -> None:
        super().__init__(ui)
        self.category = ""
        self.query = ""
        self.searching = False

    def enter(self) -> None:
        self.category, self.query, self.searching = "", "", False

    def shown_state(self) -> tuple:
        return (self.category, self.query, self.searching)

    def views_ahead(self) -> list[tuple[Step, FlowView]]:
        """The guide of each service on the first screenful, built while the resident chooses:
        built on the touch it took 110-160 ms to appear, drawing it alone 45."""
        services = self.flow.services(self.category, self.query)[:GUIDES_AHEAD]
        return [(Step.GUIDE, self.flow.as_if_chosen(service.code)) for service in services]

    def body(self) -> Widget:
        t = self.t
        box = BoxLayout(orientation="vertical", spacing=t.gap * 0.6)
        box.add_widget(self._tabs())
        services = self.flow.services(self.category, self.query)
        grid = GridLayout(cols=2 if self.searching else 3, spacing=t.gap, size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        tiles = [self._tile(service) for service in services]
        for service, tile in zip(services, tiles, strict=True):
            grid.add_widget(self.action(f"service:{service.code}", tile))
        _line_up(tiles)
        if not services:
            grid.add_widget(Text(self.ui.tr("ui.catalog.none"), t.body, color=theme.MUTED))
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(grid)
        if self.searching:
            row = BoxLayout(spacing=t.gap)
            row.add_widget(scroll)
            keyboard = PinyinKeyboard(
                t, self.ui.tr, self._type, self._delete, self.action, size_hint_x=None, width=t.mm(230)
            )
            row.add_widget(keyboard)
            box.add_widget(row)
        else:
            box.add_widget(scroll)
        return box

    def _tabs(self) -> Widget:
        t = self.t
        row = BoxLayout(size_hint_x=None, spacing=t.gap * 0.5)
        row.bind(minimum_width=row.setter("width"))
        tabs = ScrollView(do_scroll_y=False, size_hint_y=None, height=t.touch)
        tabs.add_widget(row)
        search_label = self.query or self.ui.tr("ui.catalog.search")
        search = BigButton(
            search_label, t, self._toggle_search, primary=self.searching, size_hint_x=None, width=t.mm(60)
        )
        row.add_widget(self.action("search", search))
        if self.searching:
            return tabs
        for category in ["", *self.flow.catalog.categories()]:
            label = category or self.ui.tr("ui.catalog.all")
            tab = BigButton(
                label,
                t,
                lambda c=category: self._choose_category(c),
                primary=category == self.category,
                size_hint_x=None,
                width=t.mm(25),
            )
            row.add_widget(self.action(f"category:{category or 'all'}", tab))
        return tabs

    def _tile(self, service: Service) -> Widget:
        t = self.t
        sample = f"\n[{self.ui.tr('ui.sample')}]" if service.sample else ""
        label = f"{service.name}\n[size={whole_px(t.small):.0f}px]{service.summary}{sample}[/size]"
        tile = BigButton(
            label,
            t,
            lambda code=service.code: self.flow.choose_service(code),
            primary=False,
            height=t.touch * 2.6,
            markup=True,
        )
        tile.font_size = t.subheading
        return tile

    def _choose_category(self, category: str) -> None:
        self.category = category
        self.refresh()

    def _toggle_search(self) -> None:
        self.searching = not self.searching
        self.category = ""
        if not self.searching:
            self.query = ""
        self.refresh()

    def _type(self, text: str) -> None:
        self.query += text.strip()
        self.refresh()

    def _delete(self) -> None:
        self.query = self.query[:-1]
        self.refresh()


def _line_up(tiles: list[BigButton]) -> None:
    """Every tile as tall as the tallest text needs, so the grid's rows line up (a grid row places
    a shorter tile at its bottom)."""

    def even_out(*_: object) -> None:
        tallest = max(tile.text_height() for tile in tiles)
        for tile in tiles:
            tile.height = max(tile.min_height, tallest)

    for tile in tiles:
        tile.bind(texture_size=even_out)
