"""The report each crawl leaves: `<spider>-<job or time>.md` (for people) and `.json` (for
programs: `deploy/scrapyd_ctl.py follow` reads it) under TLCRAWL_REPORT_DIR."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# (label, stats key) of the figures a report shows, in this order; missing stats show as 0.
FIGURES = [
    ("threads known", "threads/known"),
    ("threads completed", "threads/completed"),
    ("threads incomplete", "threads/incomplete"),
    ("threads unchanged (skipped)", "threads/unchanged_skipped"),
    ("threads short of posts", "threads/short"),
    ("posts announced", "threads/posts_announced"),
    ("posts missing", "threads/posts_missing"),
    ("posts yielded", "posts/yielded"),
    ("items scraped", "item_scraped_count"),
    ("requests", "downloader/request_count"),
    ("pages received", "response_received_count"),
    ("thread pages without posts", "thread_page/no_posts"),
    ("posts missing a field", "posts/missing_field"),
    ("quotes seen", "quotes/seen"),
    ("quotes resolved", "quotes/resolved"),
    ("documents stored (upserted)", "mongodb/upserted"),
    ("documents changed", "mongodb/modified"),
    ("documents dead-lettered", "mongodb/dead_letter"),
    ("errors in the log", "log_count/ERROR"),
    ("warnings in the log", "log_count/WARNING"),
]
# Faults met and got past: a crawl can pass every check and still show these.
FAULT_PREFIXES = (
    "retry/",
    "retry_after/",
    "thread_page/refetched",
    "thread_page/failed",
    "thread_page/problems",
    "downloader/exception_type_count/",
    "downloader/response_status_count/5",
    "downloader/response_status_count/429",
    "mongodb/retries",
    "posts/dropped_cut_short",
    "offsite/refused",
)


@dataclass
class CheckResult:
    name: str
    description: str
    failure: str | None  # None: passed

    @property
    def passed(self) -> bool:
        return self.failure is None


def report_paths(directory: str | Path, spider: str, job: str | None) -> tuple[Path, Path]:
    """The report's .md and .json paths: named by the Scrapyd job, else by the UTC second and the
    process id (two crawls that end in the same second must not overwrite each other's report)."""
    stem = f"{spider}-{job or datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ') + f'-{os.getpid()}'}"
    base = Path(directory) / stem
    return base.with_suffix(".md"), base.with_suffix(".json")


def faults(stats: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in sorted(stats.items())
        if key.startswith(FAULT_PREFIXES) and isinstance(value, int) and value
    }


def render_markdown(summary: Mapping[str, Any]) -> str:
    status = "passed" if summary["exit_code"] == 0 else "FAILED"
    lines = [
        f"# Crawl report: {summary['spider']} {summary.get('job') or ''}".rstrip(),
        "",
        f"**{status}** (exit status {summary['exit_code']}): {summary['verdict']}",
        "",
        f"- scope: {summary['scope']}",
        f"- started: {summary['started_at']}, finished: {summary['finished_at']} "
        f"({summary['elapsed_seconds']:.0f} s)",
        f"- finish reason: {summary['finish_reason']}",
        "",
        "## Checks",
        "",
        "| check | result | what it checks |",
        "|---|---|---|",
    ]
    for check in summary["checks"]:
        result = "passed" if check["failure"] is None else f"**FAILED**: {check['failure']}"
        lines.append(f"| {check['name']} | {result} | {check['description']} |")
    if not summary["checks"]:
        lines += ["", "None ran: the crawl was refused before its first request."]
    lines += ["", "## Figures", "", "| figure | value |", "|---|---|"]
    lines += [f"| {label} | {value} |" for label, value in summary["figures"].items()]
    share, before = summary.get("quotes_resolved_share"), summary.get("previous_quotes_share")
    if share is not None:
        lines.append(f"| share of quotes resolved | {share:.1%} |")
    if before is not None:
        lines.append(f"| ... in the previous crawl | {before:.1%} |")
    lines += ["", "## Faults the crawl met", ""]
    if summary["faults"]:
        lines += ["| stat | count |", "|---|---|"]
        lines += [f"| {key} | {value} |" for key, value in summary["faults"].items()]
    else:
        lines.append("None.")
    return "\n".join(lines) + "\n"


def write_refusal_report(directory: str | Path, spider: str, job: str | None, verdict) -> Path:
    """The report of a crawl refused before it started (bad arguments, no database): no figures,
    but its verdict, where `scrapyd_ctl.py follow` looks for every job's result."""
    markdown, data = report_paths(directory, spider, job)
    now = datetime.now(UTC)
    summary = {
        "spider": spider,
        "job": job,
        "scope": f"{spider} (refused before the first request)",
        "started_at": now,
        "finished_at": now,
        "elapsed_seconds": 0.0,
        "finish_reason": None,
        "exit_code": verdict.code,
        "verdict": verdict.reason,
        "checks": [],
        "figures": {},
        "faults": {},
        "stats": {},
    }
    write_report(summary, markdown, data)
    return markdown


def write_report(summary: Mapping[str, Any], markdown: Path, data: Path) -> None:
    markdown.parent.mkdir(parents=True, exist_ok=True)
    _write_whole(markdown, render_markdown(summary))
    _write_whole(data, json.dumps(summary, default=_json_value, indent=1))


def _write_whole(path: Path, text: str) -> None:
    """Write `path` so that a reader (`follow`, `refresh`) never sees it half written, even after
    a crash: a file beside it, then one rename."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)  # a write that failed leaves no litter


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else str(value)
