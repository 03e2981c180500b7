"""Shared fixtures: a real MongoDB wire-protocol server and the replica forum, on free ports.

Servers are started once per test session and stopped at the end, also when tests fail. Each test
that writes gets its own database name, so tests never see each other's documents.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pymongo
import pytest

from tests.servers import ROOT, RunningServer, start_mongo, start_replica

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


def replica_truth(*options: str, base_url: str) -> list[dict]:
    """The replica's ground truth for these options (`python -m tests.fakeforum truth`)."""
    args = [sys.executable, "-m", "tests.fakeforum", "truth", *options, "--base-url", base_url]
    out = subprocess.run(args, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]
