"""What every `tlcrawl` command shares: the database session, errors and exit codes, dates, JSON
lines and rich tables."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn

import pymongo
import typer
from pymongo.database import Database
from pymongo.errors import ConfigurationError, ConnectionFailure, InvalidURI, OperationFailure
from rich.console import Console
from rich.table import Table
from rich.text import Text

from tlcrawl import defaults
from tlcrawl.storage.client import MASK, mask_uri, uri_secrets

DEFAULT_URI = defaults.MONGODB_URI
DEFAULT_DATABASE = defaults.MONGODB_DATABASE

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


@contextlib.contextmanager
def session(uri: str, database: str, timeout: float) -> Iterator[Database]:
    """A connected database; unreachable servers and bad URIs become clean exits (3 and 2)."""
    shown = mask_uri(uri)
    try:
        client: pymongo.MongoClient = pymongo.MongoClient(
            uri, tz_aware=True, serverSelectionTimeoutMS=int(timeout * 1000), connect=False
        )
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        fail(f"invalid MongoDB URI {shown}: {scrub(str(exc), uri)}", USAGE)
    try:
        client.admin.command("ping")
        yield client[database]
    except ConnectionFailure as exc:
        detail = scrub(re.split(r" \(configured timeouts|, Timeout:", str(exc))[0], uri)
        fail(f"cannot reach MongoDB at {shown} ({detail})", DB_UNREACHABLE)
    except OperationFailure as exc:  # e.g. a wrong password (code 18) or no permission (13)
        reason = (exc.details or {}).get("errmsg") or str(exc)
        fail(f"MongoDB at {shown} refused: {scrub(reason, uri)}", DB_UNREACHABLE)
    finally:
        client.close()


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


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else ""


def clip(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(title: str | None, columns: list[str], rows: Iterable[Iterable[Any]]) -> Table:
    """A rich table; every cell is plain text (forum text is never read as rich markup)."""
    heading = Text(title) if title else None
    result = Table(title=heading, title_justify="left", min_width=len(title or ""))
    for column in columns:
        result.add_column(column)
    for row in rows:
        result.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    return result
