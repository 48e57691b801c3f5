"""A running terminal learns the township's decisions and its village's agents by itself."""

from kiosk.backoffice import agent_registry
from kiosk.demo import run_headless
from kiosk.flow.terminal import Terminal


def test_a_running_terminal_applies_decisions_and_syncs_the_agent_register(rig):
    result = run_headless(rig)
    rig.app.state.services.casework.decide(result.case_number, "accepted", "clerk")
    agent_registry.add_agent(rig.app.state.store, "赵代办", "示例村", "522731198001010028", "246810")
    terminal = Terminal(rig.config).start()
    try:
        events = []
        terminal.bus.subscribe("decision.changed", events.append)
        assert terminal.bus.run_until(lambda: bool(events), 60)
        assert (events[0].data["case_number"], events[0].data["state"]) == (result.case_number, "accepted")
        assert terminal.outbox.by_case(result.case_number).state == "accepted"
        assert terminal.bus.run_until(lambda: bool(terminal.agents.agents()), 30)
        assert terminal.agents.sign_in("522731198001010028", "246810").name == "赵代办"
    finally:
        terminal.stop()
