"""Where the live read side's pass spends its time: each read model's fold, and the one
transaction that records the positions of the read models that folded nothing.

    .venv/bin/python bench/pass_steps.py [--only sqlite|postgres] [--commands N]

One process, as `mops serve` runs it: a `Backoffice` and its `ReadSide` folding in a
thread. Each command (a follow-up of one customer) is waited for in the audit log, then
the next is sent after a 20 ms pause, so every pass folds one command's events. Each
step is timed around its call; the medians are printed, slowest first, with their sum
(the pass, but for the reading and decoding of the events).
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from common import (
    dialect_parser,
    each_dialect,
    load,
    machine,
    postgres_reachable,
    print_machine,
    scratch_url,
)

from application.backoffice import Backoffice, Request
from application.commands.customers import RecordFollowUp, RegisterLead
from application.permissions import Caller
from interfaces.settings import Settings
from projections import lanes
from projections.runner import ReadSide

SALES = Request(Caller("bench-sales", frozenset({"sales"})))
RECORD_POSITIONS = "(positions recorded without a fold)"


def timed_steps() -> tuple[dict[str, list[float]], Callable[[], None]]:
    """Time every lane's `fold` and every `record_positions` from now on; the times (ms)
    by step, and how to stop timing."""
    times: dict[str, list[float]] = defaultdict(list)
    fold, record = lanes.Lane.fold, lanes.record_positions

    def timed_fold(lane: lanes.Lane, events: Any) -> None:
        started = time.perf_counter()
        fold(lane, events)
        times[lane.spec.name].append(1000 * (time.perf_counter() - started))

    def timed_record(held: list[lanes.Lane], application_name: str) -> None:
        started = time.perf_counter()
        record(held, application_name)
        times[RECORD_POSITIONS].append(1000 * (time.perf_counter() - started))

    def stop() -> None:
        lanes.Lane.fold, lanes.record_positions = fold, record  # type: ignore[method-assign]

    lanes.Lane.fold, lanes.record_positions = timed_fold, timed_record  # type: ignore[method-assign,assignment]
    return times, stop


def measure(dialect: str, commands: int) -> None:
    with scratch_url(dialect) as url:
        env = Settings(database_url=url).persistence_env()
        app = Backoffice(env)
        read_side = ReadSide(Backoffice, env, dialect, run=True)
        try:
            customer = app.handle(SALES, RegisterLead(name="Bench", kind="company", source="web"))
            read_side.wait("audit_log", app.max_position(), timeout=30)
            times, stop = timed_steps()
            try:
                for _ in range(commands):
                    app.handle(
                        SALES, RecordFollowUp(customer.id, "call", "bench", datetime.now(UTC))
                    )
                    read_side.wait("audit_log", app.max_position(), timeout=30)
                    time.sleep(0.02)
            finally:
                stop()
        finally:
            read_side.close()
            app.close()
    medians = {step: statistics.median(ms) for step, ms in times.items()}
    print(f"\n== {dialect}, {commands} follow-ups, load {load()}")
    print("| step | median ms | calls |\n|---|---:|---:|")
    for step, median in sorted(medians.items(), key=lambda item: -item[1]):
        if median >= 0.05:
            print(f"| {step} | {median:.2f} | {len(times[step])} |")
    print(f"| sum of the medians | {sum(medians.values()):.2f} | |")


def main() -> None:
    parser = dialect_parser(__doc__ or "", "20 follow-ups instead of 60")
    parser.add_argument("--commands", type=int, default=None, help="follow-ups [default 60]")
    args = parser.parse_args()
    commands = args.commands or (20 if args.quick else 60)
    print_machine(machine())
    each_dialect(args.only, postgres_reachable, lambda dialect: measure(dialect, commands))


if __name__ == "__main__":
    main()
