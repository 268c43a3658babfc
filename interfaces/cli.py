"""The `mops` command line: serve, token, demo, history and the projection tools."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from datetime import timedelta
from typing import Annotated, Any, Literal
from uuid import UUID

import typer
from psycopg_pool import PoolTimeout
from rich.console import Console
from rich.markup import escape
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
from interfaces.auth import mint, secret_problem, token_problem
from interfaces.bootstrap import DEV_JWT_SECRET, create_database_tables, notice_settings_of
from interfaces.cli_audit import register as register_audit_commands
from interfaces.http.errors import DATABASE_ERRORS
from interfaces.logs import log_config
from interfaces.personal_data import forget_erased_keys
from interfaces.settings import Settings
from interfaces.trust import new_signing_key
from interfaces.web.sign_in_codes import codes_of
from projections.crosscheck import MIRRORS, crosscheck_all
from projections.events import event_data, event_names, iso_utc
from projections.leadership import lease_for
from projections.rebuild import rebuild_all, verify_all
from projections.runner import (
    READ_MODELS,
    ReadSide,
    close_view,
    construct_view,
    create_tables,
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


WORKER_HEALTHCHECK_SECONDS = 30
# uvicorn's "auto" takes uvloop and httptools when they are installed (the project's
# dependencies, but on Windows), else asyncio and h11; the others force one for a test.
EventLoop = Literal["auto", "asyncio", "uvloop"]
HttpParser = Literal["auto", "h11", "httptools"]


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    dev: Annotated[bool, typer.Option(help="allow a built-in JWT secret")] = False,
    dev_allow_postgres: Annotated[
        bool, typer.Option(help="let --dev run against a PostgreSQL database")
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    loop: Annotated[
        EventLoop, typer.Option(help="event loop: auto takes uvloop when installed")
    ] = "auto",
    http: Annotated[
        HttpParser, typer.Option(help="HTTP/1.1 parser: auto takes httptools when installed")
    ] = "auto",
) -> None:
    """Serve the HTTP API (projections in-process unless MOPS_PROJECTIONS=external)."""
    import uvicorn

    from interfaces.http.app import create_app

    settings = _settings_to_serve(dev=dev, dev_allow_postgres=dev_allow_postgres)
    # The tables are made once, here, before any worker starts; each worker then runs
    # for the read side, which one of them at a time runs (projections/leadership.py).
    # A database that cannot be reached is said in one line, not a worker's traceback.
    unreachable = _database_problem(settings)
    if unreachable is not None:
        errors.print(f"[red]mops serve: {escape(unreachable)}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    # JSON lines on stderr, one a request (interfaces/logs.py) instead of uvicorn's.
    logs = log_config()
    if workers == 1:
        app = create_app(settings, dev=dev)
        uvicorn.run(
            app, host=host, port=port, log_config=logs, access_log=False, loop=loop, http=http
        )
        return
    if dev and not settings.jwt_secret:
        # Every worker must sign and check tokens with the same secret.
        os.environ["MOPS_JWT_SECRET"] = DEV_JWT_SECRET
    if dev and settings.signing_key and not os.environ.get("MOPS_SIGNING_KEY"):
        os.environ["MOPS_SIGNING_KEY"] = settings.signing_key  # the same key in every worker
    uvicorn.run(
        # Each worker builds the API from the environment it inherits.
        "interfaces.http.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_config=logs,
        access_log=False,
        loop=loop,
        http=http,
        # A worker answers the supervisor's pings only once its imports are done: on a
        # loaded host that took more than uvicorn's 5 s, and it killed workers in turn.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


def _settings_to_serve(*, dev: bool, dev_allow_postgres: bool) -> Settings:
    """The settings `serve` runs with: refused in one line (exit 2), or with --dev's keys."""
    settings = Settings()
    refusal = _serve_refusal(settings, dev=dev, dev_allow_postgres=dev_allow_postgres)
    if refusal is not None:
        errors.print(f"[red]mops serve: {refusal}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    if dev and not settings.jwt_secret:
        errors.print(
            "[yellow]--dev: signing tokens with the built-in development secret; "
            "mint one with `mops token --sub alice --role admin`[/]"
        )
    if dev and not settings.signing_key:
        # A key for this run's seals (workers inherit it through the environment, in serve).
        settings = settings.model_copy(update={"signing_key": new_signing_key()})
        errors.print("[yellow]--dev: seals are signed with a key made for this run[/]")
    return settings


def _serve_refusal(settings: Settings, *, dev: bool, dev_allow_postgres: bool) -> str | None:
    """Why `serve` will not start with these settings (one line), or None when it will."""
    if dev:
        if settings.dialect == "postgres" and not dev_allow_postgres:
            return (
                "--dev signs tokens with a published secret; it refuses a PostgreSQL "
                "MOPS_DATABASE_URL unless --dev-allow-postgres is given"
            )
        return None
    return secret_problem(settings.jwt_secret)


def _database_problem(settings: Settings) -> str | None:
    """Why the database cannot be used (one line), after making its tables; or None."""
    try:
        create_database_tables(settings)
    except (*DATABASE_ERRORS, PoolTimeout, sqlite3.Error, OSError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return f"the database of MOPS_DATABASE_URL cannot be used: {reason}"
    return None


@cli.command()
def token(
    sub: Annotated[str, typer.Option(help="the subject (an employee id)")],
    role: Annotated[list[str], typer.Option(help="a role; repeat for several")],
    ttl: Annotated[
        int | None,
        typer.Option(help="lifetime in minutes, above 0 [default and most: MOPS_TOKEN_MAX_TTL]"),
    ] = None,
    link: Annotated[
        bool, typer.Option(help="print a one-time sign-in link for the web pages instead")
    ] = False,
) -> None:
    """Print a signed JWT for the configured secret (or a link that signs in with it once,
    within ten minutes: MOPS_PUBLIC_URL/ui/sign-in?code=…)."""
    settings = Settings()
    secret = settings.jwt_secret
    if not secret:
        errors.print("[yellow]MOPS_JWT_SECRET is not set: signing with the development secret[/]")
        secret = DEV_JWT_SECRET
    most = timedelta(minutes=settings.token_max_ttl)
    lifetime = most if ttl is None else timedelta(minutes=ttl)
    try:
        problem = token_problem(sub, lifetime, most)
        if problem is not None:
            raise ValueError(problem)
        minted = mint(secret, sub, role, lifetime)
        print(_sign_in_link(settings, minted) if link else minted)
    except ValueError as error:
        errors.print(f"[red]{error}[/]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _sign_in_link(settings: Settings, token: str) -> str:
    app = Backoffice(settings.persistence_env())
    try:
        code = codes_of(app).issue(token)
    finally:
        app.close()
    return f"{settings.public_url.rstrip('/')}/ui/sign-in?code={code}"


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
        forget_erased_keys(app.mapper)  # old events: not with a key erased since
        for event in app.events.get(aggregate_id):
            assert isinstance(event, MopsAggregate.Event)  # every event of the log is one
            table.add_row(
                str(event.originator_version),
                event_names(event)[1],
                iso_utc(event.timestamp),
                iso_utc(event.occurred_at),
                event.actor,
                escape(json.dumps(event_data(event), ensure_ascii=False)),
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
    """Run the projection workers in this process until interrupted.

    A candidate for the read side: when another process runs it, this one waits and
    takes over when that one stops or dies.
    """
    settings = Settings()
    env = settings.persistence_env()
    create_tables(Backoffice, env, settings.dialect, read_models=False)
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager stops workers with TERM
    read_side = None
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    try:
        # A stop signal that arrived while a runner was half built would leave its
        # threads behind, alive; it waits, blocked, until every runner is up.
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        try:
            read_side = ReadSide(
                Backoffice, env, settings.dialect, run=True, notices=notice_settings_of(settings)
            )
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
        if read_side.leading:
            console.print(f"running {', '.join(read_side.runners)}; Ctrl-C stops")
        else:
            holder = read_side.leadership.holder() if read_side.leadership else None
            console.print(f"standing by: {holder} runs the read side; Ctrl-C stops")
        read_side.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if read_side is not None:
            read_side.close()


@projections_cli.command("rebuild")
def projections_rebuild(
    names: Annotated[list[str] | None, typer.Argument()] = None,
    jobs: Annotated[
        int, typer.Option(min=1, help="processes to share the read models out among")
    ] = 1,
) -> None:
    """Drop read models and replay the event log into them (stop the workers first)."""
    settings = Settings()
    env = settings.persistence_env()
    app = Backoffice(env)
    try:
        chosen = _names(names)
        specs = [READ_MODELS[name] for name in chosen]
        # One pass over the log feeds them all: each event is read and decoded once.
        with ReplayProgress(f"rebuild {_listed(chosen)}", app.max_position()) as progress:
            position = rebuild_all(app, specs, env, settings.dialect, progress, jobs=jobs)
        for name in chosen:
            console.print(f"{name}: replayed to position {position}")
        passes = "one pass" if jobs == 1 else f"{min(jobs, len(chosen))} processes"
        console.print(f"{len(chosen)} read models, {passes} over the log: {progress.summary()}")
    finally:
        app.close()


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{len(names)} read models"


def _live_position(spec: Any, env: dict[str, str], dialect: str, app_name: str) -> int:
    """How far a live read model has folded the log (a verify compares up to there)."""
    view = construct_view(spec, env, dialect)
    try:
        return view.max_tracking_id(app_name) or 0
    finally:
        close_view(view)


# How long verify lets a running read side catch up with the log before calling it stuck.
VERIFY_CATCH_UP_SECONDS = 5.0


def _read_side_holder(env: dict[str, str], dialect: str) -> str | None:
    """The process running the read side of this database, if one does."""
    lease = lease_for(env, dialect)
    try:
        return lease.holder()
    finally:
        lease.close()


def _caught_up(spec: Any, env: dict[str, str], dialect: str, app_name: str, head: int) -> int:
    """A live read model's position once it reached `head`, or after the grace given."""
    deadline = time.monotonic() + VERIFY_CATCH_UP_SECONDS
    live = _live_position(spec, env, dialect, app_name)
    while live < head and time.monotonic() < deadline:
        time.sleep(0.2)
        live = _live_position(spec, env, dialect, app_name)
    return live


def _behind(name: str, live: int, head: int, holder: str | None, allow_stopped: bool) -> bool:
    """Say how far a read model is behind the log; True when that fails the verify.

    Behind while a process runs the read side, after the grace given: failed or stuck.
    Behind while none does: stopped, a failure too unless `allow_stopped` (a database
    written, by the demo say, and never served).
    """
    if live >= head:
        return False
    if holder is not None:
        console.print(
            f"[red]{name}: {head - live} events behind the log though {holder} runs the "
            f"read side: failed or stuck (GET /projections says why)[/]"
        )
        return True
    if allow_stopped:
        console.print(f"  [yellow]{name}: {head - live} events behind the log[/]")
        return False
    console.print(
        f"[red]{name}: {head - live} events behind the log and no process runs the read "
        "side: stopped (start `mops serve` or `mops projections run`, or rebuild it)[/]"
    )
    return True


def _rebuild_differs(name: str, differences: list[Any]) -> bool:
    """Print the rows in which a read model differs from its rebuild; True if any."""
    if not differences:
        return False
    console.print(f"[red]{name}: {len(differences)} rows differ from a rebuild[/]")
    for d in differences[:20]:
        console.print(f"  {d.table} {d.key}:\n    live    {d.live}\n    rebuilt {d.rebuilt}")
    return True


def _aggregates_differ(
    app: Backoffice, names: list[str], env: dict[str, str], dialect: str
) -> bool:
    """The second derivation: each directory's rows against the state of their aggregates
    (projections/crosscheck.py). Print what differs; True if anything does."""
    views = {name: construct_view(READ_MODELS[name], env, dialect) for name in names}
    try:
        found = crosscheck_all(app, views)
    finally:
        for view in views.values():
            close_view(view)
    for name, mismatches in found.items():
        if not mismatches:
            console.print(f"[green]{name}: every row agrees with its aggregate[/]")
            continue
        console.print(f"[red]{name}: {len(mismatches)} fields differ from the aggregates[/]")
        for mismatch in mismatches[:20]:
            console.print(f"  {mismatch}", highlight=False)
    return any(found.values())


@projections_cli.command("verify")
def projections_verify(
    names: Annotated[list[str] | None, typer.Argument()] = None,
    allow_stopped: Annotated[
        bool,
        typer.Option(
            help="a read model behind the log while no process runs the read side "
            "is a warning, not a failure"
        ),
    ] = False,
) -> None:
    """Check read models twice and their health; exit 1 on any difference or when one is
    failed, stuck or behind the log.

    First a rebuild into scratch tables, diffed with the live ones; then each directory
    against the aggregates it lists, loaded from the log (a second derivation, which sees a
    fold that is wrong); then each read model's position against the log's head.
    """
    settings = Settings()
    env, dialect = settings.persistence_env(), settings.dialect
    app = Backoffice(env)
    failed = False
    try:
        chosen = _names(names)
        holder = _read_side_holder(env, dialect)
        head = app.max_position()
        with ReplayProgress(f"verify {_listed(chosen)}", head) as progress:
            found = verify_all(app, [READ_MODELS[name] for name in chosen], env, dialect, progress)
        for name in chosen:
            if _rebuild_differs(name, found[name]):
                failed = True
                continue
            spec = READ_MODELS[name]
            live = (
                _caught_up(spec, env, dialect, app.name, head)
                if holder is not None
                else _live_position(spec, env, dialect, app.name)
            )
            console.print(
                f"[green]{name}: live tables equal a rebuild from the events "
                f"up to position {live}[/]"
            )
            failed = _behind(name, live, head, holder, allow_stopped) or failed
        failed = (
            _aggregates_differ(app, [n for n in chosen if n in MIRRORS], env, dialect) or failed
        )
        console.print(f"{len(chosen)} read models, one pass over the log: {progress.summary()}")
    finally:
        app.close()
    if failed:
        raise typer.Exit(1)


@cli.command()
def demo(
    customers: Annotated[int, typer.Option(help="how many customers")] = 300,
    months: Annotated[int, typer.Option(help="how far back the history reaches")] = 12,
    seed: int = 7,
    sla_clock: Annotated[
        Literal["24x7", "business"],
        typer.Option(help="the complaints' SLA clock (business: working hours of MOPS_BUSINESS_*)"),
    ] = "24x7",
) -> None:
    """Write a seeded demo company through the application layer."""
    from interfaces.demo import write_demo

    settings = Settings()
    try:
        summary = write_demo(
            settings,
            customers=customers,
            months=months,
            seed=seed,
            console=console,
            sla_clock=sla_clock,
        )
    except DomainError as error:
        errors.print(f"[red]{error.code}: {error.detail}[/]")
        raise typer.Exit(1) from None
    console.print(summary)


register_audit_commands(cli)


def main() -> None:
    cli(prog_name="mops")


if __name__ == "__main__":
    main()
