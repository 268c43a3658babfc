"""The auditor's commands: `mops audit verify|seal`, `mops export`, `mops import`, `mops upgrade`.

They work on the database of MOPS_DATABASE_URL directly (no server needed); interfaces/trust.py
does the work, projections/chain.py says what the chain is.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from application.backoffice import Backoffice
from interfaces.personal_data import SubjectKeys
from interfaces.rosters import write_rosters
from interfaces.settings import Settings
from interfaces.trust import (
    TrustError,
    export_lines,
    load_signing_key,
    read_export,
    seal,
    seal_problem,
    snapshot_problems,
    verify_store,
)
from projections.chain_store import ChainStore, LogNotEmpty, chain_of

audit_cli = typer.Typer(help="Prove the log untampered: verify its chain, seal its head.")
console = Console(soft_wrap=True)
errors = Console(stderr=True)


def _open() -> tuple[Backoffice, ChainStore]:
    app = Backoffice(Settings().persistence_env())
    return app, chain_of(app.recorder)


def subject_keys(app: Backoffice) -> SubjectKeys | None:
    """The data subjects' keys of the application's database (interfaces/personal_data.py)."""
    keys = getattr(app.mapper, "keys", None)
    return keys if isinstance(keys, SubjectKeys) else None


def _signing_key(settings: Settings) -> Ed25519PrivateKey | None:
    if not settings.signing_key:
        return None
    try:
        return load_signing_key(settings.signing_key)
    except TrustError as error:
        errors.print(f"[red]{error}[/]", highlight=False)
        raise typer.Exit(2) from None


def _kept_seal(path: Path) -> dict[str, Any]:
    try:
        kept = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        errors.print(f"[red]cannot read the seal {path}: {error}[/]", highlight=False)
        raise typer.Exit(2) from None
    if not isinstance(kept, dict):
        errors.print(f"[red]{path} is not a seal (a JSON object)[/]", highlight=False)
        raise typer.Exit(2)
    return kept


@audit_cli.command("verify")
def audit_verify(
    seal_file: Annotated[
        Path | None, typer.Option("--seal", help="a seal kept earlier (JSON of `mops audit seal`)")
    ] = None,
) -> None:
    """Recompute the hash chain; exit 1 naming the first changed, missing or inserted event."""
    settings = Settings()
    kept = _kept_seal(seal_file) if seal_file else None
    app, chain = _open()
    try:
        progress = Progress(
            TextColumn("verify"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} events"),
            TimeRemainingColumn(),
            console=console,
        )
        task = progress.add_task("verify", total=chain.bounds())
        started = time.perf_counter()
        with progress:
            verdict = verify_store(chain, lambda n: progress.advance(task, n))
        elapsed = time.perf_counter() - started
        rate = verdict.events / elapsed if elapsed > 0 else 0.0
        console.print(f"{verdict.events} events in {elapsed:.2f}s, {rate:,.0f} events/s")
        if not verdict.ok:
            errors.print(
                f"[red]broken at position {verdict.broken_at}: {verdict.problem} "
                f"({verdict.detail}); the chain holds up to {verdict.verified_to}[/]",
                highlight=False,
            )
            raise typer.Exit(1)
        forged = list(snapshot_problems(app))
        for finding in forged:
            errors.print(f"[red]snapshot: {finding}[/]", highlight=False)
        if forged:
            raise typer.Exit(1)
        problem = seal_problem(chain, kept, _signing_key(settings)) if kept else None
        if problem:
            errors.print(f"[red]the seal does not hold: {problem}[/]", highlight=False)
            raise typer.Exit(1)
        head = verdict.head
        console.print(
            f"ok: the chain holds to position {verdict.verified_to}"
            + (f", head {head.hash.hex()}" if head else "")
            + (f"; the seal of position {kept['position']} holds" if kept else "")
            + "; every snapshot agrees with its events",
            highlight=False,
        )
    finally:
        app.close()


@audit_cli.command("seal")
def audit_seal() -> None:
    """Print the signed seal of the current head (JSON); keep it somewhere else."""
    key = _signing_key(Settings())
    if key is None:
        errors.print("[red]MOPS_SIGNING_KEY is not set: there is no key to seal with[/]")
        raise typer.Exit(2)
    app, chain = _open()
    try:
        print(json.dumps(seal(chain, key), sort_keys=True))
    finally:
        app.close()


def export_log(
    to: Annotated[
        Path | None, typer.Option("--to", help="a file (default: standard output)")
    ] = None,
) -> None:
    """Write the whole log as JSON lines with its chain (as sensitive as the database)."""
    app, chain = _open()
    try:
        out = to.open("w", encoding="utf-8") if to else sys.stdout
        try:
            lines = 0
            keys = subject_keys(app)
            living = keys.living() if keys else []
            secrets = keys.deployment_secrets() if keys else []
            for line in export_lines(chain, living, secrets):
                out.write(line + "\n")
                lines += 1
        finally:
            if to:
                out.close()
        if to:
            console.print(f"exported {lines - 1} lines to {to}", highlight=False)
    finally:
        app.close()


def import_log(
    file: Annotated[Path, typer.Argument(help="an export of `mops export`")],
) -> None:
    """Load an export into an empty database, after verifying every line of its chain."""
    try:
        with file.open(encoding="utf-8") as source:
            read = read_export(source)
    except OSError as error:
        errors.print(f"[red]cannot read {file}: {error}[/]", highlight=False)
        raise typer.Exit(2) from None
    except TrustError as error:
        errors.print(f"[red]refused, nothing written: {error}[/]", highlight=False)
        raise typer.Exit(1) from None
    app, chain = _open()
    try:
        if chain.bounds():
            raise LogNotEmpty("the database's log is not empty")
        keys = subject_keys(app)
        if keys is not None:
            # Before the events: an identity must be found under the key it was stored with.
            keys.restore_secrets(read.secrets)
            keys.restore(read.subject_keys)
        head = chain.import_log(read.events)
    except LogNotEmpty as error:
        errors.print(f"[red]refused, nothing written: {error}[/]", highlight=False)
        raise typer.Exit(1) from None
    finally:
        app.close()
    expected = read.links[-1] if read.links else None
    if head != expected:
        errors.print(f"[red]imported, but the head {head} differs from the file's {expected}[/]")
        raise typer.Exit(1)
    console.print(f"imported {len(read.events)} events; the chain holds", highlight=False)


def upgrade() -> None:
    """Bring an existing log up to what this version expects (the chain, the department
    rosters); idempotent."""
    app, chain = _open()
    try:
        linked = chain.backfill()
        rosters = write_rosters(app)
    finally:
        app.close()
    console.print(
        f"upgrade: {linked} events chained" if linked else "upgrade: the log is chained already"
    )
    console.print(
        f"upgrade: {rosters} department rosters written"
        if rosters
        else "upgrade: the department rosters are up to date"
    )


def register(cli: typer.Typer) -> None:
    """Add these commands to the `mops` command line."""
    cli.add_typer(audit_cli, name="audit")
    cli.command("export")(export_log)
    cli.command("import")(import_log)
    cli.command("upgrade")(upgrade)
