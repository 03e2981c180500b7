"""What every `tlcrawl` command shares: the database options and session, errors and exit codes,
dates, JSON lines, rich tables, suggestions and the pager."""

from __future__ import annotations

import contextlib
import difflib
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, NoReturn

import pymongo
import typer
from pymongo.database import Database
from pymongo.errors import ConfigurationError, ConnectionFailure, InvalidURI, OperationFailure
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tlcrawl import defaults
from tlcrawl.storage.client import (
    MASK,
    mask_uri,
    open_client,
    server_wait,
    uri_secrets,
)

DEFAULT_URI = defaults.MONGODB_URI
DEFAULT_DATABASE = defaults.MONGODB_DATABASE

SERVER_DATABASES = ("admin", "config", "local")  # the server's own, never an archive

# Exit codes (documented in the README).
OK = 0
NOT_FOUND = 1
USAGE = 2
DB_UNREACHABLE = 3
TOOL_MISSING = 4


def scrub(message: str, uri: str) -> str:
    """`message` with the URI's secrets removed wherever they appear (raw or percent-decoded)."""
    for secret in uri_secrets(uri):
        message = message.replace(secret, MASK)
    return message


def fail(message: str, code: int) -> NoReturn:
    """Print `error: message` on stderr and exit with `code`."""
    err_console().print(Text(f"error: {message}"), soft_wrap=True)
    raise typer.Exit(code)


def did_you_mean(word: str, known: Iterable[str], limit: int = 5) -> str:
    """`; did you mean: A, B?` with the known words closest to `word` (ignoring case), or ""."""
    by_lower: dict[str, list[str]] = {}
    for name in known:
        by_lower.setdefault(name.lower(), []).append(name)
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=limit, cutoff=0.6)
    names = [name for lower in close for name in by_lower[lower]][:limit]
    return f"; did you mean: {', '.join(names)}?" if names else ""


@contextlib.contextmanager
def session(uri: str, database: str, timeout: float, must_exist: bool = True) -> Iterator[Database]:
    """A connected database that exists on the server (or may be new: `must_exist=False`).
    Unreachable servers and bad URIs become clean exits (3 and 2); an unknown database is
    "not found" (1), with close names offered."""
    shown = mask_uri(uri)
    try:
        client: pymongo.MongoClient = open_client(uri)
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        fail(f"invalid MongoDB URI {shown}: {scrub(str(exc), uri)}", USAGE)
    try:
        # The timeout bounds finding the server; queries after that take as long as they need.
        with pymongo.timeout(server_wait(client, uri, timeout)):
            names = client.list_database_names()
        if must_exist and database not in names:
            names = [name for name in names if name not in SERVER_DATABASES]
            hint = did_you_mean(database, names) or f" (databases there: {', '.join(names)})"
            fail(f"database {database!r} not found at {shown}{hint}", NOT_FOUND)
        yield client[database]
    except ConnectionFailure as exc:
        detail = scrub(re.split(r" \(configured timeouts|, Timeout:", str(exc))[0], uri)
        fail(f"cannot reach MongoDB at {shown} ({detail})", DB_UNREACHABLE)
    except OperationFailure as exc:  # e.g. a wrong password (code 18) or no permission (13)
        reason = (exc.details or {}).get("errmsg") or str(exc)
        fail(f"MongoDB at {shown} refused: {scrub(reason, uri)}", DB_UNREACHABLE)
    finally:
        client.close()


Uri = Annotated[
    str,
    typer.Option(
        "--uri",
        envvar="MONGODB_URI",
        help=f"MongoDB URI (default {DEFAULT_URI}).",
        show_default=False,
    ),
]
DbName = Annotated[str, typer.Option("--db", envvar="MONGODB_DATABASE", help="Database name.")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON lines (ISO 8601 dates) for scripts.")]
Timeout = Annotated[
    float, typer.Option("--timeout", min=0.1, help="Seconds to wait for the server.")
]


@dataclass(frozen=True)
class Archive:
    """The archive a command reads: --uri, --db, and --timeout for finding its server."""

    uri: str
    db: str
    timeout: float

    def session(self) -> contextlib.AbstractContextManager[Database]:
        return session(self.uri, self.db, self.timeout)


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


URI_OPTION = _option("uri", Uri, DEFAULT_URI)
DB_OPTION = _option("db", DbName, DEFAULT_DATABASE)
JSON_OPTION = _option("as_json", AsJson, False)
TIMEOUT_OPTION = _option("timeout", Timeout, 5.0)


def archive_options(command: Callable[..., None]) -> Callable[..., None]:
    """`command` with the options every command that reads the archive ends with, in this order:
    --uri, --db, --json (when `command` takes `as_json`) and --timeout. `command` takes the
    keyword `archive` (an Archive) in place of --uri, --db and --timeout."""
    own = inspect.signature(command, eval_str=True).parameters
    kept = [param for name, param in own.items() if name not in ("archive", "as_json")]
    json_option = [JSON_OPTION] if "as_json" in own else []

    def run(uri: str, db: str, timeout: float, **options: Any) -> None:
        command(archive=Archive(uri, db, timeout), **options)

    # Typer reads a command's options, name and help from its signature, name and docstring.
    run.__signature__ = inspect.Signature(
        [*kept, URI_OPTION, DB_OPTION, *json_option, TIMEOUT_OPTION]
    )
    run.__name__, run.__doc__ = command.__name__, command.__doc__
    return run


def parse_when(value: str | None, option: str, end_of_day: bool = False) -> datetime | None:
    """`YYYY-MM-DD` or an ISO 8601 datetime as an aware UTC datetime (naive times are UTC).
    With `end_of_day`, a bare date means the start of the next day (so the day is included)."""
    if value is None:
        return None
    try:
        if re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", value):  # a bare date, extended or basic form
            day = datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
            return day + timedelta(days=1) if end_of_day else day
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"invalid {option} {value!r}: expected YYYY-MM-DD or an ISO 8601 date-time", USAGE)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json_lines(rows: Iterable[Any]) -> None:
    for row in rows:
        sys.stdout.write(json.dumps(row, default=_json_default, ensure_ascii=False) + "\n")


def console() -> Console:
    return Console(highlight=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


@contextlib.contextmanager
def paged(out: Console, enabled: bool = True) -> Iterator[Console]:
    """Page what is printed inside when stdout is a terminal, as git does: $PAGER (else less),
    with LESS=FRX unless set, so output that fits on one screen is simply printed."""
    if not (enabled and out.is_terminal):
        yield out
        return
    os.environ.setdefault("LESS", "FRX")
    with out.pager(styles=True):
        yield out


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def clip(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _is_number(cell: Any) -> bool:
    return isinstance(cell, int | float) and not isinstance(cell, bool)


def _cell(cell: Any) -> Text:
    if cell is None:
        return Text("")
    return Text(f"{cell:,}" if _is_number(cell) else str(cell))


def table(title: str | None, columns: list[str], rows: Iterable[Iterable[Any]]) -> Table:
    """A rich table; every cell is plain text (forum text is never read as rich markup). Columns
    of numbers are right-aligned with thousands separators."""
    rows = [list(row) for row in rows]
    heading = Text(title) if title else None
    result = Table(title=heading, title_justify="left", min_width=len(title or ""))
    for index, column in enumerate(columns):
        cells = [row[index] for row in rows if row[index] is not None]
        numeric = bool(cells) and all(_is_number(cell) for cell in cells)
        result.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        result.add_row(*(_cell(cell) for cell in row))
    return result
