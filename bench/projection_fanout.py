"""What the live projections cost the commands, and what one shared subscription would save.

A probe for the next step of docs/PERFORMANCE.md: the same commands (register a lead,
qualify it) timed three ways in one run, on SQLite and PostgreSQL:

- `none`: no projection running (the ceiling: the commands alone);
- `runners`: the read side as `mops serve` runs it, a library `ProjectionRunner` per
  read model, each with its own subscription decoding every event;
- `fanout`: a prototype, one subscription whose thread decodes each event once and folds
  it into every read model in turn (not how mops runs; kept here to be measured).

Run: `.venv/bin/python bench/projection_fanout.py [--commands N] [--only sqlite|postgres]`.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.persistence import Tracking

from application.backoffice import Backoffice, Request
from application.permissions import Caller
from bench.commands import machine, postgres_database, sqlite_database
from interfaces.bootstrap import build
from interfaces.settings import Settings
from projections.runner import READ_MODELS, close_view, construct_view

SALES = Request(Caller("bench", frozenset({"sales"})))


def fan_out(settings: Settings, stop: threading.Event) -> Callable[[], None]:
    """Start the prototype: one subscription folding into every read model; answer a closer."""
    env = settings.persistence_env()
    folds = []
    for spec in READ_MODELS.values():
        view = construct_view(spec, env, settings.dialect)
        folds.append((spec.projection(view=view), view))
    reader = Backoffice({**env, "BACKOFFICE_CREATE_TABLE": "n"})
    subscription = reader.recorder.subscribe(gt=0, topics=[])

    def loop() -> None:
        for notification in subscription:
            event = reader.mapper.to_domain_event(notification)
            tracking = Tracking(reader.name, notification.id)
            for projection, view in folds:
                with view.batch():
                    projection.process_event(event, tracking)
            if stop.is_set():
                return

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()

    def close() -> None:
        subscription.stop()
        thread.join(timeout=5)
        for _, view in folds:
            close_view(view)
        reader.close()

    return close


def commands_per_second(settings: Settings, mode: str, count: int) -> float:
    services = build(settings, run_projections=mode == "runners")
    stop = threading.Event()
    close = fan_out(settings, stop) if mode == "fanout" else (lambda: None)
    try:
        app = services.backoffice
        started = time.perf_counter()
        for n in range(count):
            customer = app.register_lead(
                SALES, name=f"{mode} {n}", kind="company", source="web", contacts=[]
            ).id
            app.qualify_customer(SALES, customer)
        return 2 * count / (time.perf_counter() - started)
    finally:
        stop.set()
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
        for mode in ("none", "runners", "fanout"):
            with database() as db:
                rate = commands_per_second(db.settings, mode, args.commands)
            print(f"{dialect:8} {mode:8} {rate:8.0f} commands/s")


if __name__ == "__main__":
    main()
