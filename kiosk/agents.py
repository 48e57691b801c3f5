"""The village agents (代办员) this terminal accepts: the township-signed register, synced from the back
office, and the agent's sign-in with their own ID card plus a PIN, locked after five wrong tries.

The register holds only salted hashes of ID numbers and PINs; it is verified every time it is read,
so a copy edited on disk is worth nothing. No UI, no Kivy.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk import kdf, signed
from kiosk.errors import AgentError, SyncError
from kiosk.keys import TownshipPublic, write_file
from kiosk.township import TownshipClient

ID_HASH_COST = 11  # log2 of scrypt's n for ID numbers: a terminal hashes each agent's entry per card
PIN_PATTERN = re.compile(r"[0-9]{6}")
MAX_PIN_TRIES = 5
REGISTER_FILE = "agents.json"
LOCKOUT_FILE = "agents-lockout.json"


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    village: str
    id_hash: str
    pin_hash: str
    pin_version: int
    revoked: bool


class AgentRegistry:
    """The register as last synced; `sign_in` is what the agent's login screen calls."""

    def __init__(self, data_dir: Path, kiosk_id: str, township: TownshipPublic) -> None:
        self.register_path = data_dir / REGISTER_FILE
        self.lockout_path = data_dir / LOCKOUT_FILE
        self.kiosk_id = kiosk_id
        self.township = township
        self.lock = threading.Lock()

    # --- the register ------------------------------------------------------------------------

    def _payload(self, envelope: Any) -> dict[str, Any] | None:
        payload = signed.verify(envelope, self.township.signing)
        if payload is None or payload.get("kiosk_id") != self.kiosk_id:
            return None
        return payload

    def _stored(self) -> dict[str, Any] | None:
        try:
            envelope = json.loads(self.register_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return self._payload(envelope)

    def install(self, envelope: Any) -> int:
        """Keep a register from the township if it is genuine, for this kiosk and not older than the
        one held (an old copy could revive a revoked agent). Returns the number of agents."""
        payload = self._payload(envelope)
        if payload is None:
            raise SyncError("SYNC_BAD_ANSWER", detail="agents")
        with self.lock:
            held = self._stored()
            if held and float(payload.get("issued", 0)) < float(held.get("issued", 0)):
                raise SyncError("SYNC_STALE_REGISTER")
            write_file(self.register_path, json.dumps(envelope, ensure_ascii=False).encode(), 0o600)
        return len(payload.get("agents", []))

    def sync(self, client: TownshipClient) -> int:
        """Fetch this kiosk's register from the back office and install it."""
        return self.install(client.get_envelope(f"/api/v1/kiosks/{self.kiosk_id}/agents"))

    def agents(self) -> list[Agent]:
        payload = self._stored() or {}
        return [Agent(**{k: a[k] for k in Agent.__dataclass_fields__}) for a in payload.get("agents", [])]

    # --- sign-in -----------------------------------------------------------------------------

    def identify(self, id_number: str) -> Agent:
        """The agent whose card this is; raises AgentError when the card is not a current agent's."""
        number = id_number.strip().upper()
        agent = next((a for a in self.agents() if kdf.verify_secret(number, a.id_hash)), None)
        if agent is None:
            raise AgentError("AGENT_UNKNOWN")
        if agent.revoked:
            raise AgentError("AGENT_REVOKED")
        return agent

    def tries_left(self, agent: Agent) -> int:
        return max(0, MAX_PIN_TRIES - self._failures(agent))

    def verify_pin(self, agent: Agent, pin: str) -> None:
        """Raises AgentError: AGENT_LOCKED after five wrong PINs (until the township resets the PIN or
        unlocks it), AGENT_BAD_PIN with the tries left otherwise. A right PIN clears the count."""
        if self.tries_left(agent) == 0:
            raise AgentError("AGENT_LOCKED")
        if kdf.verify_secret(pin, agent.pin_hash):
            self._set_failures(agent, 0)
            return
        failures = self._failures(agent) + 1
        self._set_failures(agent, failures)
        if failures >= MAX_PIN_TRIES:
            raise AgentError("AGENT_LOCKED")
        raise AgentError("AGENT_BAD_PIN", left=MAX_PIN_TRIES - failures)

    def sign_in(self, id_number: str, pin: str) -> Agent:
        agent = self.identify(id_number)
        self.verify_pin(agent, pin)
        return agent

    def _lockouts(self) -> dict[str, Any]:
        try:
            return json.loads(self.lockout_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}

    def _failures(self, agent: Agent) -> int:
        entry = self._lockouts().get(agent.agent_id) or {}
        # A new PIN version (reset or unlock by the township) starts the count again.
        return int(entry.get("failures", 0)) if entry.get("pin_version") == agent.pin_version else 0

    def _set_failures(self, agent: Agent, failures: int) -> None:
        with self.lock:
            table = self._lockouts()
            table[agent.agent_id] = {"pin_version": agent.pin_version, "failures": failures}
            write_file(self.lockout_path, json.dumps(table).encode(), 0o600)
