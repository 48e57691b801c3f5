"""Back-office fixtures: a server on loopback (SQLite), and a real PostgreSQL server the tests start."""

from __future__ import annotations

import uuid

import pytest
from backoffice_world import start_office

from kiosk.backoffice.pglocal import local_postgres


@pytest.fixture
def office(tmp_path):
    office = start_office(tmp_path)
    yield office
    office.server.stop()
    office.store.close()


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the whole session (Debian's `postgresql`, started by the tests)."""
    with local_postgres() as server:
        yield server


@pytest.fixture
def pg_url(postgres):
    """A fresh, empty database on the session's server for each test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    return postgres.url.replace("/kiosk?", f"/{name}?")
