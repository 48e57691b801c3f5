"""Review: everything on one scrollable page, each part with a button to change it."""

from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.image import Image
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.flow.controller import Step
from kiosk.idnumber import mask_number
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen
from kiosk.screens.widgets import BigButton, Panel, Text, column


class ReviewScreen(FlowScreen):
    step = Step.REVIEW
    title_key = "ui.review.title"

    def body(self) -> Widget:
        flow, t = self.flow, self.t
        application, service = flow.application, flow.service
        person = application.applicant
        labels = {f.key: f.label for f in service.form}
        path = flow.path()
        sections = [
            self._section("ui.review.service", service.name, Step.CATALOG if Step.CATALOG in path else None),
            self._section(
                "ui.review.applicant", f"{person.masked_name}　{mask_number(person.id_number)}", Step.IDENTIFY
            ),
        ]
        if flow.agent is not None:
            agent = f"{flow.agent.masked_name}　{mask_number(flow.agent.id_number)}"
            sections.append(self._section("ui.review.agent", agent, None))
            sections.append(
                self._signature_section(
                    "ui.review.consent", application.consent["signature_file"], Step.CONSENT
                )
            )
        if Step.MATERIALS in path:
            sections.append(self._section("ui.review.materials", self._materials_text(), Step.MATERIALS))
        sections.append(
            self._section(
                "ui.review.form",
                "\n".join(f"{labels[k]}：{v}" for k, v in application.form.items() if v) or "—",
                Step.FORM,
            )
        )
        sections.append(
            self._signature_section("ui.review.signature", application.signature.image_file, Step.SIGN)
        )
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(column(*sections, spacing=t.gap * 0.6))
        return scroll

    def _materials_text(self) -> str:
        application = self.flow.application
        lines = []
        for material in self.flow.service.materials_to_photograph:
            pages = application.pages_for(material.key)
            warnings = sorted({w for p in pages for w in p.warnings})
            note = (
                "（" + "、".join(self.ui.tr(f"ui.materials.warning_{w}") for w in warnings) + "）"
                if warnings
                else ""
            )
            lines.append(f"{material.name}：{self.ui.tr('ui.materials.pages', n=len(pages))}{note}")
        return "\n".join(lines)

    def _section(
        self, title_key: str, content: str, step: Step | None, extra: Widget | None = None
    ) -> Widget:
        t = self.t
        panel = Panel(orientation="horizontal", padding=t.gap * 0.6, spacing=t.gap, size_hint_y=None)
        text = column(Text(self.ui.tr(title_key), t.small, color=theme.MUTED), Text(content, t.body))
        if extra is not None:
            text.add_widget(extra)
        panel.add_widget(text)
        holder = AnchorLayout(size_hint_x=None, width=t.mm(40))
        if step is not None:
            edit = BigButton(
                self.ui.tr("ui.review.edit"),
                t,
                lambda: self.flow.edit(step),
                primary=False,
                size_hint_x=None,
                width=t.mm(36),
            )
            edit.bind(width=lambda _b, w: setattr(holder, "width", max(holder.width, w)))
            holder.add_widget(self.action(f"edit:{step.value}", edit))
        panel.add_widget(holder)
        text.bind(height=lambda *_: setattr(panel, "height", max(text.height, t.touch) + t.gap * 1.2))
        panel.height = max(text.height, t.touch) + t.gap * 1.2
        return panel

    def _signature_section(self, title_key: str, image_file: str, step: Step) -> Widget:
        png = self.flow.file(image_file)
        image = Image(
            texture=CoreImage(io.BytesIO(png), ext="png").texture,
            size_hint_y=None,
            height=self.t.mm(28),
            fit_mode="contain",
        )
        return self._section(title_key, "", step, extra=image)

    def footer_actions(self) -> list[tuple[str, Widget]]:
        return [self.footer_button("submit", "ui.review.submit", self.flow.confirm, width_mm=80)]
