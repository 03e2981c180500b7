"""`tlcrawl reparse PATH...`: re-parse WARC files into MongoDB without the network.

Exit codes: 0 every captured page re-parsed and stored; 1 the re-parse failed or lost data (one
line says why); 2 usage (no WARC files at PATH, bad -s); 3 MongoDB unreachable.
Scrapy and the spider are imported only when the command runs: the query commands stay quick.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from tlcrawl.cli.support import DEFAULT_DATABASE, DEFAULT_URI, USAGE, fail, session

FAILED = 1

Paths = Annotated[
    list[Path], typer.Argument(metavar="PATH...", help="WARC files, or directories holding them.")
]
Uri = Annotated[
    str, typer.Option("--uri", envvar="MONGODB_URI", help="MongoDB URI.", show_default=False)
]
DbName = Annotated[str, typer.Option("--db", envvar="MONGODB_DATABASE", help="Database name.")]
Setting = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", metavar="NAME=VALUE", help="A Scrapy setting for this run."),
]


def _settings(pairs: list[str] | None) -> dict[str, str]:
    extra = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            fail(f"-s takes NAME=VALUE, got {pair!r}", USAGE)
        extra[name] = value
    return extra


def reparse(
    paths: Paths,
    uri: Uri = DEFAULT_URI,
    db: DbName = DEFAULT_DATABASE,
    setting: Setting = None,
) -> None:
    """Re-parse captured pages (WARC files) into MongoDB, through the crawl's parsers and
    pipelines, without touching the network. The newest capture of each page wins."""
    from tlcrawl.warc.reparse import CapturedSite, report, run, verdict
    from tlcrawl.warc.store import NoWarcFiles, WarcStore, warc_files

    extra = _settings(setting)
    if not uri:
        fail("re-parse writes to MongoDB: set --uri or MONGODB_URI", USAGE)
    try:
        files = warc_files(paths)  # a usage error is said at once, before any waiting
    except NoWarcFiles as error:
        fail(str(error), USAGE)
    with session(uri, db, timeout=5.0, must_exist=False):
        pass  # unreachable or refused: exit 3 now rather than after reading every file
    store = WarcStore.open(files)
    if not len(store):
        fail(f"no HTTP responses in {len(store.files)} WARC files", USAGE)
    site = CapturedSite(store)
    typer.echo(f"Re-parsing {len(store)} captured pages from {len(store.files)} WARC files")
    started = time.monotonic()
    stats = run(site, uri, db, extra)
    for line in report(site, stats, time.monotonic() - started):
        typer.echo(line)
    problem = verdict(stats)
    if problem:
        fail(problem, FAILED)
