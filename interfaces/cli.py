"""The `mops` command line: serve, token, demo, history and the projection tools."""

from __future__ import annotations

import json
import signal
import time
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from application.backoffice import Backoffice
from domain.base import MopsAggregate
from domain.budget import Budget
from domain.campaign import Campaign
from domain.complaint import Complaint
from domain.contract import Contract
from domain.customer import Customer
from domain.employee import Employee
from domain.errors import DomainError
from domain.expense_claim import ExpenseClaim
from domain.marketing_plan import MarketingPlan
from domain.opportunity import Opportunity
from domain.price_list import PriceList
from domain.risk import Risk
from interfaces.auth import mint
from interfaces.bootstrap import DEV_JWT_SECRET
from interfaces.settings import Settings
from projections.events import event_data, event_names, iso_utc
from projections.runner import (
    READ_MODELS,
    ReadSide,
    close_view,
    construct_view,
    rebuild,
    verify,
)

cli = typer.Typer(help="mops: the event-sourced back office.", no_args_is_help=True)
projections_cli = typer.Typer(help="Run, rebuild and verify the read models.", no_args_is_help=True)
cli.add_typer(projections_cli, name="projections")
console = Console(soft_wrap=True)
errors = Console(stderr=True)

AGGREGATES = {
    "customer": Customer,
    "contract": Contract,
    "budget": Budget,
    "campaign": Campaign,
    "employee": Employee,
    "complaint": Complaint,
    "price_list": PriceList,
    "opportunity": Opportunity,
    "marketing_plan": MarketingPlan,
    "risk": Risk,
    "expense_claim": ExpenseClaim,
}


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    dev: Annotated[bool, typer.Option(help="allow a built-in JWT secret")] = False,
) -> None:
    """Serve the HTTP API (projections in-process unless MOPS_PROJECTIONS=external)."""
    import uvicorn

    from interfaces.http.app import create_app

    settings = Settings()
    if dev and not settings.jwt_secret:
        errors.print(
            "[yellow]--dev: signing tokens with the built-in development secret; "
            "mint one with `mops token --sub alice --role admin`[/]"
        )
    uvicorn.run(create_app(settings, dev=dev), host=host, port=port, log_level="info")


@cli.command()
def token(
    sub: Annotated[str, typer.Option(help="the subject (an employee id)")],
    role: Annotated[list[str], typer.Option(help="a role; repeat for several")],
    ttl: Annotated[int, typer.Option(help="lifetime in minutes")] = 12 * 60,
) -> None:
    """Print a signed JWT for the configured secret."""
    settings = Settings()
    secret = settings.jwt_secret
    if not secret:
        errors.print("[yellow]MOPS_JWT_SECRET is not set: signing with the development secret[/]")
        secret = DEV_JWT_SECRET
    try:
        print(mint(secret, sub, role, timedelta(minutes=ttl)))
    except ValueError as error:
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(2) from None


@cli.command()
def history(
    aggregate_type: Annotated[str, typer.Argument(metavar="TYPE", help="e.g. customer")],
    aggregate_id: Annotated[UUID, typer.Argument(metavar="ID")],
) -> None:
    """An aggregate's history, from the event store, as a table."""
    kind = AGGREGATES.get(aggregate_type.lower().replace("-", "_").rstrip("s"))
    if kind is None:
        errors.print(f"[red]unknown type {aggregate_type}; one of {', '.join(AGGREGATES)}[/]")
        raise typer.Exit(2)
    settings = Settings()
    app = Backoffice(settings.persistence_env())
    try:
        if not app.exists(aggregate_id, kind):
            errors.print(f"[red]{aggregate_type} {aggregate_id} not found[/]")
            raise typer.Exit(1)
        table = Table(title=f"{kind.__name__} {aggregate_id}")
        for column in ("version", "type", "recorded_at", "occurred_at", "actor", "data"):
            table.add_column(column, overflow="fold")
        for event in app.events.get(aggregate_id):
            assert isinstance(event, MopsAggregate.Event)  # every event of the log is one
            table.add_row(
                str(event.originator_version),
                event_names(event)[1],
                iso_utc(event.timestamp),
                iso_utc(event.occurred_at),
                event.actor,
                json.dumps(event_data(event), ensure_ascii=False),
            )
        console.print(table)
    finally:
        app.close()


def _names(names: list[str] | None) -> list[str]:
    chosen = names or list(READ_MODELS)
    unknown = [n for n in chosen if n not in READ_MODELS]
    if unknown:
        errors.print(
            f"[red]unknown read model {', '.join(unknown)}; one of {', '.join(READ_MODELS)}[/]"
        )
        raise typer.Exit(2)
    return chosen


class ReplayProgress:
    """A progress bar over a replay of the log, counting the events and their rate."""

    def __init__(self, description: str, total: int) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} events"),
            TimeRemainingColumn(),
            console=console,
        )
        self.task = self.progress.add_task(description, total=total)
        self.events = 0
        self.started = time.perf_counter()

    def __enter__(self) -> ReplayProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def __call__(self, events: int) -> None:
        self.events += events
        self.progress.advance(self.task, events)

    def summary(self) -> str:
        elapsed = time.perf_counter() - self.started
        rate = self.events / elapsed if elapsed > 0 else 0.0
        return f"{self.events} events in {elapsed:.2f}s, {rate:,.0f} events/s"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@projections_cli.command("run")
def projections_run() -> None:
    """Run the projection workers in this process until interrupted."""
    settings = Settings()
    env = settings.persistence_env()
    Backoffice(env).close()  # creates the event tables if this is a new database
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager stops workers with TERM
    read_side = None
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    try:
        # A stop signal that arrived while a runner was half built would leave its
        # threads behind, alive; it waits, blocked, until every runner is up.
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        try:
            read_side = ReadSide(Backoffice, env, settings.dialect, run=True)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
        console.print(f"running {', '.join(read_side.runners)}; Ctrl-C stops")
        read_side.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if read_side is not None:
            read_side.close()


@projections_cli.command("rebuild")
def projections_rebuild(names: Annotated[list[str] | None, typer.Argument()] = None) -> None:
    """Drop read models and replay the event log into them (stop the workers first)."""
    settings = Settings()
    env = settings.persistence_env()
    app = Backoffice(env)
    try:
        for name in _names(names):
            with ReplayProgress(name, app.max_position()) as progress:
                position = rebuild(app, READ_MODELS[name], env, settings.dialect, progress)
            console.print(f"{name}: replayed to position {position}: {progress.summary()}")
    finally:
        app.close()


def _live_position(spec: Any, env: dict[str, str], dialect: str, app_name: str) -> int:
    """How far a live read model has folded the log (a verify compares up to there)."""
    view = construct_view(spec, env, dialect)
    try:
        return view.max_tracking_id(app_name) or 0
    finally:
        close_view(view)


@projections_cli.command("verify")
def projections_verify(names: Annotated[list[str] | None, typer.Argument()] = None) -> None:
    """Rebuild read models into scratch tables and diff them with the live ones."""
    settings = Settings()
    env = settings.persistence_env()
    app = Backoffice(env)
    failed = False
    try:
        for name in _names(names):
            with ReplayProgress(f"verify {name}", app.max_position()) as progress:
                differences = verify(app, READ_MODELS[name], env, settings.dialect, progress)
            if differences:
                failed = True
                console.print(f"[red]{name}: {len(differences)} rows differ[/]")
                for d in differences[:20]:
                    console.print(
                        f"  {d.table} {d.key}:\n    live    {d.live}\n    rebuilt {d.rebuilt}"
                    )
            else:
                live = _live_position(READ_MODELS[name], env, settings.dialect, app.name)
                head = app.max_position()
                behind = f", [yellow]{head - live} events behind the log[/]" if live < head else ""
                console.print(
                    f"[green]{name}: live tables equal a rebuild from the events "
                    f"up to position {live}[/]{behind}"
                )
    finally:
        app.close()
    if failed:
        raise typer.Exit(1)


@cli.command()
def demo(
    customers: Annotated[int, typer.Option(help="how many customers")] = 300,
    months: Annotated[int, typer.Option(help="how far back the history reaches")] = 12,
    seed: int = 7,
) -> None:
    """Write a seeded demo company through the application layer."""
    from interfaces.demo import write_demo

    settings = Settings()
    try:
        summary = write_demo(
            settings, customers=customers, months=months, seed=seed, console=console
        )
    except DomainError as error:
        errors.print(f"[red]{error.code}: {error.detail}[/]")
        raise typer.Exit(1) from None
    console.print(summary)


def main() -> None:
    cli(prog_name="mops")


if __name__ == "__main__":
    main()
