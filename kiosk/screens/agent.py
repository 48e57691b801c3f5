"""Village agent screens: sign in with the agent's own ID card and PIN, the case list (cases sent back
for correction first, each with "correct and resubmit"), and the resident's consent (授权委托),
signed on the pad before anything is done on the resident's behalf."""

from __future__ import annotations

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.flow.agent import CaseRow
from kiosk.flow.controller import Step
from kiosk.idnumber import last_digits
from kiosk.screens import theme
from kiosk.screens.base import FlowScreen, PinScreen, panel_of
from kiosk.screens.identify import CardScreen
from kiosk.screens.sign import SignScreen
from kiosk.screens.widgets import BigButton, Panel, Text, column


class AgentSignInScreen(CardScreen, PinScreen):
    step = Step.AGENT_SIGNIN
    title_key = "ui.agent.signin_title"
    show_steps = False

    def update(self) -> None:
        if self.flow.notice is not None:
            self.pin = ""
        super().update()

    def body(self) -> Widget:
        t = self.t
        card = self.flow.agent_card
        if card is None:
            box = BoxLayout(orientation="vertical", spacing=t.gap)
            box.add_widget(Text(self.ui.tr("ui.agent.place_card"), t.heading, bold=True, halign="center"))
            box.add_widget(self.card_on_reader())
            return box
        who = self.ui.tr("ui.agent.card_read", name=card.masked_name, last4=last_digits(card.id_number))
        other = BigButton(self.ui.tr("ui.agent.other_card"), t, self.flow.retry_agent_card, primary=False)
        return self.pin_entry(
            Text(who, t.body, color=theme.OK, bold=True),
            Text(self.ui.tr("ui.agent.enter_pin"), t.heading, bold=True),
            below=self.action("other_card", other),
        )

    def submit_pin(self, pin: str) -> bool:
        return self.flow.enter_agent_pin(pin)


def agent_banner(screen: FlowScreen) -> Widget:
    agent = screen.flow.agent
    text = screen.ui.tr("ui.agent.signed_in_as", name=agent.masked_name, last4=last_digits(agent.id_number))
    return Text(text, screen.t.body, color=theme.MUTED)


class AgentCasesScreen(FlowScreen):
    step = Step.AGENT_CASES
    title_key = "ui.agent.cases_title"
    show_steps = False

    def start_over_key(self) -> str:
        return "ui.agent.sign_out"

    def body(self) -> Widget:
        t = self.t
        box = BoxLayout(orientation="vertical", spacing=t.gap * 0.6)
        top = BoxLayout(size_hint_y=None, height=t.touch, spacing=t.gap)
        top.add_widget(agent_banner(self))
        new = BigButton(
            self.ui.tr("ui.agent.new"), t, self.flow.new_application, size_hint_x=None, width=t.mm(70)
        )
        top.add_widget(self.action("new", new))
        box.add_widget(top)
        rows = self.flow.cases()
        items = [self._row(row) for row in rows] or [
            Text(self.ui.tr("ui.agent.no_cases"), t.body, color=theme.MUTED)
        ]
        scroll = ScrollView(do_scroll_x=False)
        scroll.add_widget(column(*items, spacing=t.gap * 0.5))
        box.add_widget(scroll)
        return box

    def _row(self, row: CaseRow) -> Widget:
        t = self.t
        state = self.ui.tr(f"ui.state.{row.state}")
        if row.superseded_by:
            state = self.ui.tr("ui.agent.resubmitted", case=row.superseded_by)
        colour = (
            theme.ALERT
            if row.correctable
            else theme.OK
            if row.state in ("accepted", "completed")
            else theme.MUTED
        )
        details = [
            Text(
                f"{row.service_name}　{row.masked_name}（{self.ui.tr('ui.agent.last4', last4=row.id_last4)}）",
                t.body,
                bold=True,
            ),
            Text(f"{row.case_number}　{row.created_at[:16].replace('T', ' ')}", t.small, color=theme.MUTED),
            Text(state, t.small, color=colour, bold=True),
        ]
        if row.note:
            details.append(Text(self.ui.tr("ui.agent.note", note=row.note), t.small, color=theme.ALERT))
        info = column(*details)
        panel = Panel(orientation="horizontal", size_hint_y=None, padding=t.gap * 0.5, spacing=t.gap)
        panel.add_widget(info)
        if row.correctable:
            button = BigButton(
                self.ui.tr("ui.agent.correct"),
                t,
                lambda: self.flow.correct(row.case_number),
                size_hint_x=None,
                width=t.mm(60),
            )
            panel.add_widget(self.action(f"correct:{row.case_number}", button))
        info.bind(height=lambda *_: setattr(panel, "height", max(info.height, t.touch) + t.gap))
        panel.height = max(info.height, t.touch) + t.gap
        return panel


class ConsentScreen(SignScreen):
    """The resident signs that the agent may act for them; the text names both and the service."""

    step = Step.CONSENT
    title_key = "ui.consent.title"
    done_key = "ui.consent.done"

    def above_signature(self) -> list[Widget]:
        t = self.t
        return [
            panel_of(t, Text(self.flow.consent_text(), t.body)),
            Text(self.ui.tr("ui.consent.prompt"), t.body, bold=True, halign="center"),
        ]

    def finish(self) -> object:
        return self.flow.finish_consent()
