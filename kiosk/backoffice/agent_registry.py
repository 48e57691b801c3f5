"""The township's register of village agents (代办员), the signed copy each terminal gets, and the
check of every agent submission at intake.

The ID number and the PIN are stored only as salted scrypt hashes (kiosk/kdf.py): a terminal can
recognise an agent's card and check a PIN without holding either. No HTTP here.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from kiosk import kdf, signed
from kiosk.agents import ID_HASH_COST, PIN_PATTERN
from kiosk.backoffice.kiosk_auth import parse_time
from kiosk.backoffice.store import Row, Store
from kiosk.errors import BundleError, KioskError
from kiosk.idnumber import mod11_2_ok
from kiosk.keys import TownshipPrivate


class AgentRegistryError(KioskError):
    code = "AGENT_REGISTRY_INVALID"


def add_agent(store: Store, name: str, village: str, id_number: str, pin: str) -> str:
    """Register an agent; returns the new agent id. The ID number must carry a valid check digit."""
    id_number = id_number.strip().upper()
    if not name.strip() or not village.strip():
        raise AgentRegistryError("AGENT_REGISTRY_INCOMPLETE")
    if not mod11_2_ok(id_number):
        raise AgentRegistryError("AGENT_REGISTRY_BAD_ID")
    if not PIN_PATTERN.fullmatch(pin):
        raise AgentRegistryError("AGENT_REGISTRY_BAD_PIN")
    if find(store, id_number, village=None):
        raise AgentRegistryError("AGENT_REGISTRY_DUPLICATE")
    agent_id = "A" + secrets.token_hex(6)
    store.add_agent(
        agent_id,
        name.strip(),
        village.strip(),
        kdf.hash_secret(id_number, ID_HASH_COST),
        kdf.hash_secret(pin),
    )
    return agent_id


def reset_pin(store: Store, agent_id: str, pin: str) -> bool:
    if not PIN_PATTERN.fullmatch(pin):
        raise AgentRegistryError("AGENT_REGISTRY_BAD_PIN")
    return store.reset_agent_pin(agent_id, kdf.hash_secret(pin))


def find(store: Store, id_number: str, village: str | None) -> Row | None:
    """The registered agent (revoked or not) with this ID number, in `village` if one is given."""
    candidates = store.agents(village)
    return next((a for a in candidates if kdf.verify_secret(id_number.upper(), a["id_hash"])), None)


def signed_registry(store: Store, township: TownshipPrivate, kiosk: Row) -> dict[str, Any]:
    """The agents of the kiosk's village, signed with the township key, for that kiosk only."""
    agents = [
        {
            "agent_id": a["agent_id"],
            "name": a["name"],
            "village": a["village"],
            "id_hash": a["id_hash"],
            "pin_hash": a["pin_hash"],
            "pin_version": a["pin_version"],
            "revoked": bool(a["revoked_at"]),
        }
        for a in store.agents(kiosk["village"])
    ]
    payload = {
        "kiosk_id": kiosk["kiosk_id"],
        "village": kiosk["village"],
        "issued": time.time(),
        "agents": agents,
    }
    return signed.sign(payload, township.signing)


def check_submission(store: Store, header: dict[str, Any], manifest: dict[str, Any]) -> None:
    """Intake's rule for agent submissions: a registered agent of the kiosk's village, not revoked
    when the bundle was sealed. Raises BundleError with the reason; resident submissions pass."""
    application = manifest.get("application") or {}
    agent = application.get("agent")
    if application.get("channel", "resident") != "agent":
        if agent:
            raise BundleError("BUNDLE_AGENT_CHANNEL")
        return
    id_number = str((agent or {}).get("id_number", ""))
    if not id_number:
        raise BundleError("BUNDLE_AGENT_MISSING")
    kiosk = store.kiosk(str(header.get("kiosk_id", ""))) or {"village": ""}
    registered = find(store, id_number, kiosk["village"])
    if registered is None:
        raise BundleError("BUNDLE_AGENT_UNKNOWN")
    sealed = parse_time(header.get("created_at"))
    revoked = parse_time(registered["revoked_at"]) if registered["revoked_at"] else None
    if revoked is not None and (sealed is None or sealed >= revoked):
        raise BundleError("BUNDLE_AGENT_REVOKED")
