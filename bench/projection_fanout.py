"""What the live projections cost the commands: one shared subscription against one each.

The same commands (register a lead, qualify it) timed three ways in one run, on SQLite
and PostgreSQL:

- `none`: no projection running (the ceiling: the commands alone);
- `per-model`: the library's `ProjectionRunner`, one per read model, each with its own
  subscription reading and decoding every event (how mops ran before the shared one);
- `shared`: the read side as `mops serve` runs it: one `SharedSubscription` reading and
  decoding each event once and folding it into every read model, each in its own
  transaction.

Run: `.venv/bin/python bench/projection_fanout.py [--commands N] [--only sqlite|postgres]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from application.commands.customers import QualifyCustomer, RegisterLead

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.projection import ProjectionRunner

from application.backoffice import Backoffice, Request
from application.permissions import Caller
from bench.commands import postgres_database, sqlite_database
from bench.common import machine
from interfaces.bootstrap import build
from interfaces.settings import Settings
from projections.runner import READ_MODELS

SALES = Request(Caller("bench", frozenset({"sales"})))


def runner_per_model(settings: Settings) -> tuple[Callable[[int], None], Callable[[], None]]:
    """Start a library runner for each read model; answer a waiter and a closer."""
    # One pooled connection each, as mops ran them: with the library's two, a dozen
    # runners exhaust PostgreSQL's default 100 connections.
    env = {**settings.persistence_env(), "BACKOFFICE_CREATE_TABLE": "n", "POSTGRES_POOL_SIZE": "1"}
    runners = []
    for spec in READ_MODELS.values():
        runner = ProjectionRunner(
            application_class=Backoffice,
            projection_class=spec.projection,
            view_class=spec.view_class(settings.dialect),
            env=env,
        )
        runner.__enter__()
        runners.append(runner)

    def wait(position: int) -> None:
        for runner in runners:
            runner.wait(position, timeout=600)

    def close() -> None:
        for runner in runners:
            runner.__exit__(None, None, None)

    return wait, close


def commands_per_second(settings: Settings, mode: str, count: int) -> tuple[float, float]:
    """Commands per second, as answered and until every read model has folded them."""
    services = build(settings, run_projections=mode == "shared")
    wait, close = (lambda position: None), (lambda: None)
    if mode == "per-model":
        wait, close = runner_per_model(settings)
    elif mode == "shared":

        def wait(position: int) -> None:
            for name in READ_MODELS:
                services.read_side.wait(name, position, timeout=600)

    try:
        app = services.backoffice
        started = time.perf_counter()
        for n in range(count):
            customer = app.handle(
                SALES, RegisterLead(name=f"{mode} {n}", kind="company", source="web", contacts=[])
            ).id
            app.handle(SALES, QualifyCustomer(customer))
        answered = time.perf_counter() - started
        wait(app.max_position())
        folded = time.perf_counter() - started
        return 2 * count / answered, 2 * count / folded
    finally:
        close()
        services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=800, help="leads per mode (x2 commands)")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    print(" ".join(f"{k}={v}" for k, v in machine().items()))
    databases = {"sqlite": sqlite_database, "postgres": postgres_database}
    for dialect, database in databases.items():
        if args.only and args.only != dialect:
            continue
        for mode in ("none", "per-model", "shared"):
            with database() as db:
                answered, folded = commands_per_second(db.settings, mode, args.commands)
            print(
                f"{dialect:8} {mode:9} {answered:6.0f} commands/s answered, "
                f"{folded:6.0f}/s folded into {len(READ_MODELS)} read models"
            )


if __name__ == "__main__":
    main()
