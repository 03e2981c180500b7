"""Shared fixtures: a real MongoDB wire-protocol server and the replica forum, on free ports.

Servers are started once per test session and stopped at the end, also when tests fail. Each test
that writes gets its own database name, so tests never see each other's documents. Helpers that are
not fixtures are in tests/support.py.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import pymongo
import pytest
from pymongo.database import Database

from tests.sample_archive import load_sample
from tests.servers import RunningServer, start_mongo, start_replica

_replica_cache: dict[tuple[str, ...], RunningServer] = {}


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory) -> Iterator[RunningServer]:
    logs = tmp_path_factory.mktemp("mongo")
    server = start_mongo(logs / "data", logs / "secantusd.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_client(mongo_server) -> Iterator[pymongo.MongoClient]:
    client = pymongo.MongoClient(mongo_server.url, tz_aware=True, serverSelectionTimeoutMS=10_000)
    yield client
    client.close()


@pytest.fixture
def mongo_db_name(mongo_client) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    mongo_client.drop_database(name)


@pytest.fixture(scope="session")
def replica(tmp_path_factory):
    """Return a function: replica(*options) -> running replica server (one per distinct options)."""
    logs = tmp_path_factory.mktemp("replica")
    counter = itertools.count()

    def get(*options: str) -> RunningServer:
        key = tuple(options)
        if key not in _replica_cache:
            log = logs / f"replica-{next(counter)}.log"
            _replica_cache[key] = start_replica(log, *options)
        return _replica_cache[key]

    yield get
    for server in _replica_cache.values():
        server.stop()
    _replica_cache.clear()


@pytest.fixture
def sample_db(mongo_client, mongo_db_name) -> Iterator[Database]:
    """A database of its own holding the hand-built sample archive (tests/sample_archive.py)."""
    database = mongo_client[mongo_db_name]
    load_sample(database)
    yield database
