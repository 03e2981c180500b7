"""Run every benchmark and print one table of its figures and ratios; write it as JSON.

    .venv/bin/python -m bench.run_all [--only crawl,parse] [--json data/bench/latest.json]

Every bench/bench_*.py that exposes `run() -> dict[str, float]` is run in a child process of its
own (a crawl needs a fresh Twisted reactor, and one benchmark's memory must not slow the next).
Figures of one benchmark are measured side by side in that run (e.g. a crawl against `scrapy
bench` on the same machine), so their ratios hold even on a loaded machine where the absolute
figures do not. A module may declare `TARGETS = {"figure": (">=", 0.8)}`, or return a figure
`<name>/target_ratio` meaning `<name>/ratio` must be at most that: the table shows whether each
target is met, and the exit status is 1 when one is missed (or a benchmark failed).
"""

from __future__ import annotations

import argparse
import importlib
import json
import operator
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
COMPARE = {">=": operator.ge, "<=": operator.le}


def modules(only: set[str]) -> list[str]:
    names = sorted(path.stem for path in BENCH.glob("bench_*.py"))
    return [name for name in names if not only or name.removeprefix("bench_") in only]


def has_run(name: str) -> bool:
    return "\ndef run(" in (BENCH / f"{name}.py").read_text()


def run_one(name: str) -> dict:
    """`bench.<name>.run()` in a child process: its figures, targets and wall time, or its error."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.run_all", "--child", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = round(time.perf_counter() - started, 1)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"], "seconds": seconds}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {**result, "seconds": seconds}


def child(name: str) -> None:
    """In the child process: run the benchmark, print its figures as the last line."""
    module = importlib.import_module(f"bench.{name}")
    figures = module.run()
    print("\n" + json.dumps({"figures": figures, "targets": getattr(module, "TARGETS", {})}))


def verdicts(result: dict) -> dict[str, str]:
    """Per figure with a target: 'met (>= 0.8)' or 'MISSED (>= 0.8)'."""
    out = {}
    targets = dict(result.get("targets", {}))
    for figure, limit in result["figures"].items():
        if figure.endswith("/target_ratio"):
            targets.setdefault(figure.replace("/target_ratio", "/ratio"), ("<=", limit))
    for figure, (sign, limit) in targets.items():
        value = result["figures"].get(figure)
        met = isinstance(value, int | float) and COMPARE[sign](value, limit)
        out[figure] = f"{'met' if met else 'MISSED'} ({sign} {limit})"
    return out


def print_table(results: dict[str, dict]) -> None:
    print(f"{'benchmark':<12}{'figure':<46}{'value':>14}  target")
    for name, result in results.items():
        label = name.removeprefix("bench_")
        if "error" in result:
            print(f"{label:<12}{'FAILED':<46}{'':>14}  {result['error'][0]}")
            continue
        if not result["figures"]:
            print(f"{label:<12}{'(no run() figures)':<46}")
        judged = verdicts(result)
        for figure, value in result["figures"].items():
            shown = f"{value:,.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else value
            print(f"{label:<12}{figure:<46}{shown!s:>14}  {judged.get(figure, '')}")
        print(f"{label:<12}{'(wall seconds)':<46}{result['seconds']:>14}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated names, e.g. crawl,parse")
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "bench" / "latest.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    results: dict[str, dict] = {}
    for name in modules(only):
        if not has_run(name):
            continue  # a script without the run() interface (yet)
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = run_one(name)
    print_table(results)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg()[0],
        "results": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.json}")
    missed = [r for r in results.values() if "error" in r or "MISSED" in str(verdicts(r))]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
