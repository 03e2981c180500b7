"""`python -m tests.fakeforum serve|truth [options]`: serve the replica or print its truth."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from tests.fakeforum import js_modes
from tests.fakeforum.replica import MARKUPS, Replica
from tests.fakeforum.server import Faults, serve


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeforum")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the replica on 127.0.0.1")
    truth_cmd = commands.add_parser("truth", help="print the ground truth as JSON lines")
    for cmd in (serve_cmd, truth_cmd):
        cmd.add_argument("--seed", type=int, default=1)
        cmd.add_argument("--forums", type=int, default=2)
        cmd.add_argument("--threads-per-forum", type=int, default=10)
        cmd.add_argument("--revision", type=int, default=0, help="the forum this many days later")
        cmd.add_argument(
            "--renumber", action="store_true", help="renumber later posts after a deletion"
        )
        cmd.add_argument(
            "--markup", choices=MARKUPS, default="normal", help="lost: post class names renamed"
        )
        cmd.add_argument("--long-pages", type=int, default=105, help="pages of the long thread")
        # Faults change nothing in the truth; accepted by both commands so options can be shared.
        cmd.add_argument("--fail-rate", type=float, default=0.0)
        cmd.add_argument("--fail-attempts", type=int, default=1, help="failing attempts per page")
        cmd.add_argument("--slow-rate", type=float, default=0.0)
        cmd.add_argument("--slow-seconds", type=float, default=2.0)
        cmd.add_argument("--truncate-rate", type=float, default=0.0)
        cmd.add_argument("--rate-limit", type=int, default=0, help="requests/second, 0: none")
    serve_cmd.add_argument("--port", type=int, default=0)
    js_modes.add_arguments(serve_cmd)
    truth_cmd.add_argument("--base-url", required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    replica = Replica(
        seed=args.seed,
        forums=args.forums,
        threads_per_forum=args.threads_per_forum,
        revision=args.revision,
        long_pages=args.long_pages,
        renumber=args.renumber,
        markup=args.markup,
    )
    if args.command == "truth":
        out = sys.stdout
        for document in replica.truth_documents(args.base_url):
            out.write(json.dumps(document, ensure_ascii=False) + "\n")
        return
    faults = Faults(
        fail_rate=args.fail_rate,
        fail_attempts=args.fail_attempts,
        slow_rate=args.slow_rate,
        slow_seconds=args.slow_seconds,
        truncate_rate=args.truncate_rate,
        rate_limit=args.rate_limit,
    )
    asyncio.run(serve(replica, faults, args.port, js_modes.JsModes.from_args(args)))


if __name__ == "__main__":
    main()
