"""One-time notice (一次性告知): every material, original or copy, how many, and the service's terms."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.catalog import Material
from kiosk.flow.controller import Step
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen, panel_of
from kiosk.screens.widgets import BigButton, Panel, Text, column


class GuideScreen(FlowScreen):
    step = Step.GUIDE
    title_key = "ui.guide.title"
    ahead = (Step.IDENTIFY, Step.CATALOG)  # ready, or "back" to choose another service

    def shown_state(self) -> tuple:
        return (self.flow.print_state,)  # and the service, as every screen's title bar

    def body(self) -> Widget:
        t = self.t
        service = self.flow.service
        row = BoxLayout(spacing=t.gap * 2)
        items = [Text(self.ui.tr("ui.guide.materials"), t.subheading, bold=True)]
        items += [self._material(i + 1, m) for i, m in enumerate(service.materials)]
        scroll = ScrollView(do_scroll_x=False, size_hint_x=0.6)
        scroll.add_widget(column(*items, spacing=t.gap * 0.6))
        row.add_widget(scroll)
        visits = (
            self.ui.tr("ui.visits_zero")
            if service.visits == 0
            else self.ui.tr("ui.visits_n", n=service.visits)
        )
        basis = "；".join(service.legal_basis) or self.ui.tr("ui.guide.basis_unverified")
        facts = [
            ("ui.guide.time_limit", self.ui.tr("ui.days", n=service.time_limit_days)),
            ("ui.guide.visits", visits),
            ("ui.guide.fee", service.fee),
            ("ui.guide.department", service.department),
            ("ui.guide.basis", basis),
        ]
        side = BoxLayout(orientation="vertical", spacing=t.gap, size_hint_x=0.4)
        lines = []
        for key, value in facts:
            lines.append(Text(self.ui.tr(key), t.small, color=theme.MUTED))
            lines.append(Text(value, t.body, bold=key == "ui.guide.time_limit"))
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(panel_of(t, *lines))
        side.add_widget(scroll)
        side.add_widget(self._print_state())
        row.add_widget(side)
        return row

    def _print_state(self) -> Widget:
        """Lacking something? The list goes home on paper (一次性告知单)."""
        t = self.t
        state = self.flow.print_state
        if state in ("printing", "done"):
            key, colour = (
                ("ui.guide.notice_printing", theme.MUTED)
                if state == "printing"
                else ("ui.guide.notice_printed", theme.OK)
            )
            return Text(self.ui.tr(key), t.body, color=colour, bold=True)
        return self.action(
            "print_notice",
            BigButton(self.ui.tr("ui.guide.print_notice"), t, self.flow.print_notice, primary=False),
        )

    def _material(self, number: int, material: Material) -> Widget:
        t = self.ui.tr
        kind = t("ui.guide.original") if material.original else t("ui.guide.copy")
        details = f"{kind} {t('ui.guide.copies', n=material.copies)}"
        if not material.required:
            details += f"，{t('ui.guide.optional')}"
        if material.replaced_by_id_card:
            details = t("ui.guide.by_card")
        if material.note:
            details += f"\n{material.note}"
        panel = Panel(padding=self.t.gap * 0.6, size_hint_y=None)
        title = Text(f"{number}. {material.name}", self.t.body, bold=True)
        detail = Text(details, self.t.small, color=theme.MUTED)
        panel.add_widget(title)
        panel.add_widget(detail)
        panel.bind(minimum_height=panel.setter("height"))
        return panel

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [self.footer_button("next", "ui.guide.ready", self.flow.accept_guide, width_mm=110)]
