"""Shared fixtures: a real MongoDB wire-protocol server and the replica forum, on free ports.

Servers are started once per test session and stopped at the end, also when tests fail. Each test
that writes gets its own database name, so tests never see each other's documents. Helpers that are
not fixtures are in tests/support.py.

The suite runs in parallel worker processes (pytest-xdist, `addopts` in pyproject.toml): a session
here is one worker's, so each worker has its own servers, and a test must never depend on another
test having run in the same process. The hook at the end sends the slowest modules out first; a
module whose module fixtures are costly (a Scrapyd, a crawl) keeps its tests on one worker with
`pytestmark = pytest.mark.xdist_group(...)`.
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
    # Standalone: no oplog entry written with every write (no test reads a change stream from this
    # server, nor restarts it), which costs the server about 14% of its CPU time in a crawl.
    server = start_mongo(logs / "data", logs / "secantusd.log", 0, "--standalone")
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


@pytest.fixture(scope="session")
def replica_and_truth(replica):
    """Return a function: (*options) -> (running replica, a fresh copy of its ground truth)."""
    # Imported here: tests.support imports Twisted's reactor, which must not be installed before
    # pytest-twisted installs the asyncio one.
    from tests.support import replica_truth

    def get(*options: str) -> tuple[RunningServer, list[dict]]:
        server = replica(*options)
        return server, replica_truth(*options, base_url=server.url)

    return get


@pytest.fixture
def sample_db(mongo_client, mongo_db_name) -> Iterator[Database]:
    """A database of its own holding the hand-built sample archive (tests/sample_archive.py)."""
    database = mongo_client[mongo_db_name]
    load_sample(database)
    yield database


# Modules whose tests share a costly module fixture (a Scrapyd with a deployed egg, a crawl into
# MongoDB, five built forums): one worker runs all of a module's tests, one after another.
ONE_WORKER = ("test_scrapyd.py", "test_e2e_cli.py", "test_fakeforum_revisions.py")
# The slowest modules first, slowest first (measured with --durations): the workers start on them,
# and the last minutes are short tests that fill in wherever a worker is free.
SLOW_FIRST = (
    "test_e2e_resume.py",
    "test_scrapyd.py",
    "test_e2e_exit.py",
    "test_e2e_mongo.py",
    "test_e2e_heal.py",
    "test_e2e_refresh.py",
    "test_parsers_fuzz.py",
    "test_warc_reparse.py",
    "test_e2e_cli.py",
    "test_fakeforum_seeds.py",
    "test_monitoring_progress.py",
    "test_pipeline_mongo_writer.py",
    "test_e2e_crawl.py",
    "test_e2e_quotes.py",
)


def pytest_collection_modifyitems(config, items):
    """Slowest modules first. Modules stay whole and in order (module fixtures are set up once per
    worker); only the order of the modules changes, the same in every worker (xdist requires
    identical collections)."""
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: modules stay whole


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # a pytest-xdist hook: unused without it
def pytest_xdist_make_scheduler(config, log):
    """`-n N` (--dist load): hand out tests in collection order as workers free up (a few each),
    except that a module of ONE_WORKER goes to one worker whole. (xdist's own `loadgroup` does not
    group on pytest 9: the group suffix it adds never reaches the node ids it schedules.)"""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerModules(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module.rsplit("/", 1)[-1] in ONE_WORKER else nodeid

    config.option.loadscopereorder = False  # keep the order above (xdist sorts by size otherwise)
    return OneWorkerModules(config, log)
