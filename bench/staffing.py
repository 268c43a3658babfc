"""The recruitment report over 10 x the demo's people, and the hire gate under contention.

Run from the repository root:

    .venv/bin/python bench/staffing.py [--scale S] [--repeat R] [--rounds N]
                                       [--only sqlite|postgres]

For each database (an SQLite file in a temporary directory; a fresh `bench_<random>`
schema in the PostgreSQL database `test` at 127.0.0.1:5432, dropped at the end):

1. **The recruitment report** (issue 20, part 1; goal: p95 at most 100 ms).
   A year of hiring is written through the application layer (`Backoffice.handle`),
   no projection running: the demo's roster (`interfaces/demo/people.py`: 20 people in
   seven departments, two candidates turned down) times S (default 10), hired on days
   spread over this calendar year. Each candidate is registered 10-45 days before their
   hire, screened, interviewed and checked; a twentieth of the hires leave by the end of
   September. The back-dating window is widened to 400 days (`Policy(backdating=...)`)
   as in the other benches, but each step is written at its own moment: the back
   office's clock (`Backoffice(clock=...)`) is set to it, so registrations (which take
   no date) fall on their day and the days to hire are real. On 2 January, before the
   first hire (hires run from 8 January to yesterday), hr drafts a staffing plan for
   every department but legal (whose hires stay unplanned), as many places per position
   and quarter as the roster will hold at most, which an executive approves; the
   candidates turned down at the plan step pass every check and are refused as over plan
   (`headcount_exceeded`) on the last day, like the demo's. Then the recruitment read
   model is rebuilt (`projections.runner.rebuild`, timed) and, on PostgreSQL, its
   tables analysed as autovacuum would. Then R times (default 200), alternating each
   with its ceiling: `RecruitmentReport.report` (what the route calls) for the year now,
   for one department, and as of the end of June; and `GET /reports/recruitment` through
   FastAPI's TestClient (auth, the read, JSON). p50 and p95 of each. The ceiling, timed
   in the same run on a plain sqlite3 / psycopg connection, is the simplest SQL that
   reads what the report must: the roster and hiring facts up to the cut grouped by
   department, position, kind and quarter, and the year's approved plan lines.
2. **The hire gate under 8 concurrent hires for the last places.** Per round, a new
   department gets an approved plan of 2 + k places for one position (k = 1..7 in turn)
   and 2 hires; then 8 candidates who passed every step are hired at once, by 8 threads
   released by one barrier on one back office (as one server process would), each
   candidate a different one. The round's time is from the first thread's start to the
   last answer; it must give k hires and 8 - k refusals `headcount_exceeded` (a hire
   that loses the race for the roster is decided again on the fresh roster,
   `Backoffice.handle`; the lost races are counted). Beside it, the same round in a
   second department with the 8 hires made one after another (no contention: k hires
   and 8 - k refusals too). p50 and p95 of a hire's latency in each, hires and
   refusals apart, and of a round's time, over N rounds (default 14) after one round of
   warm-up.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent))

import psycopg
from commands import Database, database, percentile
from common import POSTGRES_URL, each_dialect, load, machine, print_machine
from fastapi.testclient import TestClient
from psycopg.rows import dict_row

from application.backoffice import Backoffice, Policy, Request
from application.commands import Command
from application.commands.employees import (
    HireEmployee,
    RecordInterview,
    RegisterCandidate,
    RejectCandidate,
    TerminateEmployee,
)
from application.commands.staffing import (
    ApproveStaffingPlan,
    DraftStaffingPlan,
    SubmitStaffingPlan,
)
from application.messages import Outcome
from application.permissions import Caller
from domain.errors import HeadcountExceeded, VersionConflict
from interfaces.auth import mint
from interfaces.bootstrap import build
from interfaces.demo.people import ROSTER, TURNED_DOWN
from interfaces.http.app import create_app
from projections.runner import READ_MODELS, close_view, construct_view, rebuild

ADMIN = Request(Caller("bench-admin", frozenset({"admin"})))
HR = Request(Caller("bench-hr", frozenset({"hr"})))
# Whoever submits a plan may not approve it.
EXECUTIVE = Request(Caller("bench-executive", frozenset({"executive"})))
UNPLANNED = "legal"
SOURCES = ("referral", "job board", "job board", "campus", "agency", None)
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
MONTHLY_COST = Decimal("20000")
RACERS = 8
PREFILLED = 2
RACE_POSITION = "Engineer"


class Clock:
    """The back office's clock: a set moment, or the real time when none is set."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or datetime.now(UTC)


class CountingBackoffice(Backoffice):
    """The back office, counting the saves that lost a race and were decided again."""

    name = "Backoffice"  # the same log, tables and tracking as the back office's
    lost_races = 0
    _lock = threading.Lock()

    def _save(self, request: Request, cause: Any, command: Command, decision: Any) -> Any:
        outcome = super()._save(request, cause, command, decision)
        if outcome is None:
            with self._lock:
                self.lost_races += 1
        return outcome


# Writing the year of hiring.


@dataclass(frozen=True)
class Step:
    """One command of the history, at its moment; `move` is +1/-1 on a roster, else 0."""

    at: datetime
    command: Any  # a RegisterCandidate, or a step naming its candidate by number
    request: Request = ADMIN
    department: str = ""
    position: str = ""
    move: int = 0
    over_plan: bool = False


@dataclass
class History:
    """The steps of the year, and what they add up to."""

    year: int
    now: datetime
    steps: list[Step] = field(default_factory=list)
    ids: dict[int, UUID] = field(default_factory=dict)  # candidate number -> employee id
    counts: dict[str, int] = field(default_factory=dict)


def at_hour(day: date, hour: int, rng: random.Random) -> datetime:
    return datetime(day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=UTC)


def candidate_steps(n: int, who: tuple[str, str], hired_on: date, rng: random.Random) -> list[Step]:
    """Registration, screening, interview and background check of candidate n, passed."""
    department, position = who
    registered = hired_on - timedelta(days=rng.randint(10, 45))
    steps = [
        Step(
            at_hour(registered, 9, rng),
            RegisterCandidate(
                name=f"Bench candidate {n}",
                position=position,
                department=department,
                source=rng.choice(SOURCES),
            ),
        )
    ]
    span = (hired_on - registered).days
    for kind, share in (("screening", 0.2), ("interview", 0.5), ("background_check", 0.8)):
        day = registered + timedelta(days=max(1, round(span * share)))
        steps.append(Step(at_hour(day, 14, rng), _Interview(n, kind, "pass")))
    return steps


@dataclass(frozen=True)
class _Interview:
    """A step naming its candidate by number (the id is known once registered)."""

    number: int
    kind: str
    result: str


@dataclass(frozen=True)
class _ByNumber:
    """A hire, rejection or termination of candidate `number`, its id filled in later."""

    number: int
    what: str  # hire, reject, terminate
    on: date
    department: str = ""
    position: str = ""


def plan_history(scale: int, now: datetime, seed: int = 7) -> History:
    """The year's hires, refusals and leavers of the demo's roster times `scale`."""
    rng = random.Random(seed)
    history = History(year=now.year, now=now)
    first, last = date(now.year, 1, 8), now.date() - timedelta(days=1)
    days = (last - first).days
    n = 0
    for _ in range(scale):
        for hire in ROSTER:
            n += 1
            hired_on = first + timedelta(days=rng.randrange(days))
            history.steps += candidate_steps(n, (hire.department, hire.position), hired_on, rng)
            move = Step(
                at_hour(hired_on, 10, rng),
                _ByNumber(n, "hire", hired_on, hire.department, hire.position),
                department=hire.department,
                position=hire.position,
                move=1,
            )
            history.steps.append(move)
            leaves = hired_on + timedelta(days=rng.randint(20, 60))
            if rng.random() < 0.05 and leaves < date(now.year, 9, 30):
                history.steps.append(
                    Step(
                        at_hour(leaves, 17, rng),
                        _ByNumber(n, "terminate", leaves),
                        department=hire.department,
                        position=hire.position,
                        move=-1,
                    )
                )
        for _name, position, department, fails in TURNED_DOWN:
            n += 1
            history.steps += turned_down(history, n, (department, position), fails, rng)
    history.steps.sort(key=lambda s: s.at)
    return history


def turned_down(
    history: History, n: int, who: tuple[str, str], fails: str, rng: random.Random
) -> list[Step]:
    """A candidate who fails a step, or (`plan`) is refused as over plan on the last day."""
    department, position = who
    last = history.now.date() - timedelta(days=1)
    decided = last if fails == "plan" else last - timedelta(days=rng.randrange(300))
    steps = candidate_steps(n, who, decided, rng)
    if fails == "plan":
        steps.append(
            Step(
                at_hour(decided, 16, rng),
                _ByNumber(n, "hire", decided, department, position),
                over_plan=True,
            )
        )
    else:
        failed = next(s for s in steps if getattr(s.command, "kind", "") == fails)
        steps[steps.index(failed)] = Step(failed.at, _Interview(n, fails, "fail"))
        steps = [s for s in steps if s.at <= failed.at]
    steps.append(Step(at_hour(decided, 18, rng), _ByNumber(n, "reject", decided)))
    return steps


def plan_lines(history: History) -> dict[str, list[dict[str, Any]]]:
    """Per department, per position and quarter, the most the roster will hold then."""
    # Per department and position: the count, the quarter of its last move, and the most
    # it holds in each quarter (its count at the quarter's start included).
    count: dict[tuple[str, str], int] = {}
    last: dict[tuple[str, str], int] = {}
    most: dict[tuple[str, str], list[int]] = {}
    for step in history.steps:
        if not step.move:
            continue
        key, q = (step.department, step.position), (step.at.month - 1) // 3
        highs = most.setdefault(key, [0, 0, 0, 0])
        for started in range(last.get(key, -1) + 1, q + 1):
            highs[started] = max(highs[started], count.get(key, 0))
        count[key] = count.get(key, 0) + step.move
        highs[q], last[key] = max(highs[q], count[key]), q
    for key, highs in most.items():
        for started in range(last[key] + 1, 4):
            highs[started] = max(highs[started], count[key])
    lines: dict[str, list[dict[str, Any]]] = {}
    for (department, position), highs in sorted(most.items()):
        if department == UNPLANNED:
            continue
        lines.setdefault(department, []).extend(
            {
                "position": position,
                "quarter": QUARTERS[q],
                "headcount": highs[q],
                "monthly_cost_per_head": MONTHLY_COST,
            }
            for q in range(4)
        )
    return lines


def run_step(app: Backoffice, history: History, step: Step) -> None:
    """One command of the history, its candidate number turned into the employee id."""
    command = step.command
    if isinstance(command, RegisterCandidate):
        number = int(command.name.rsplit(" ", 1)[1])
        history.ids[number] = app.handle(step.request, command).id
        history.counts["candidates"] = history.counts.get("candidates", 0) + 1
        return
    if isinstance(command, _Interview):
        eid = history.ids[command.number]
        app.handle(step.request, RecordInterview(eid, kind=command.kind, result=command.result))
        return
    assert isinstance(command, _ByNumber)
    eid, what = history.ids[command.number], command.what
    if what == "reject":
        app.handle(step.request, RejectCandidate(eid, "not this time"))
    elif what == "terminate":
        app.handle(step.request, TerminateEmployee(eid, reason="resigned", on=command.on))
    else:
        hire = HireEmployee(
            eid, hired_on=command.on, position=command.position, department=command.department
        )
        try:
            app.handle(step.request, hire)
        except HeadcountExceeded:
            if not step.over_plan:
                raise
            what = "refused as over plan"
        else:
            if step.over_plan:
                raise RuntimeError(f"{eid} was hired over plan")
    history.counts[what] = history.counts.get(what, 0) + 1


def write_history(app: Backoffice, clock: Clock, history: History) -> None:
    """The plans, approved on the year's first working day; then every step at its moment."""
    plans_at = datetime(history.year, 1, 2, 9, tzinfo=UTC)
    before = [step for step in history.steps if step.at < plans_at]
    for step in before:  # registrations of the first hires, late in the year before
        clock.at = step.at
        run_step(app, history, step)
    clock.at = plans_at
    for department, lines in plan_lines(history).items():
        plan = app.handle(
            HR, DraftStaffingPlan(department=department, fiscal_year=history.year, lines=lines)
        ).id
        app.handle(HR, SubmitStaffingPlan(plan))
        app.handle(EXECUTIVE, ApproveStaffingPlan(plan))
        history.counts["plans approved"] = history.counts.get("plans approved", 0) + 1
    for step in history.steps[len(before) :]:
        clock.at = step.at
        run_step(app, history, step)
    clock.at = None


# Part 1: the report.


class Raw:
    """A plain connection to the read model's tables, for the ceilings."""

    def __init__(self, db: Database, view: Any) -> None:
        self.dialect, self.view = db.dialect, view
        if db.dialect == "sqlite":
            path = db.settings.database_url.removeprefix("sqlite:///")
            self.conn: Any = sqlite3.connect(path, check_same_thread=False)
        else:
            self.conn = psycopg.connect(POSTGRES_URL, autocommit=True, row_factory=dict_row)

    def rows(self, statement: str, params: list[Any]) -> list[Any]:
        if self.dialect == "postgres":
            statement = statement.replace("?", "%s")
        return self.conn.execute(statement, params).fetchall()

    def close(self) -> None:
        self.conn.close()


def ceiling(raw: Raw, year: int, as_of: datetime, department: str | None) -> Callable[[], Any]:
    """Facts up to the cut grouped by department, position, kind and quarter; plan lines."""
    cut = as_of.astimezone(UTC).date().isoformat()
    ends = [f"{year}-03-31", f"{year}-06-30", f"{year}-09-30"]
    dept = "" if department is None else " AND department_key = ?"
    params = [] if department is None else [department.casefold()]
    facts = (
        "SELECT department_key, position_key, kind, CASE WHEN day <= ? THEN 'Q1' "
        "WHEN day <= ? THEN 'Q2' WHEN day <= ? THEN 'Q3' ELSE 'Q4' END AS quarter, "
        f"COUNT(*) AS n, SUM(delta) AS d FROM {raw.view.table('recruitment_facts')} "
        f"WHERE day <= ?{dept} GROUP BY 1, 2, 3, 4"
    )
    plans = (
        f"SELECT * FROM {raw.view.table('recruitment_plans')} "
        f"WHERE fiscal_year = ? AND approved_at <= ?{dept}"
    )
    moment = as_of.astimezone(UTC).isoformat()
    return lambda: raw.rows(facts, [*ends, cut, *params]) + raw.rows(plans, [year, moment, *params])


@dataclass
class Figure:
    """p50 and p95 in ms of a measured thing, beside its ceiling's."""

    label: str
    p50: float
    p95: float
    rows: int
    ceiling_p50: float | None = None
    ceiling_p95: float | None = None
    samples: int = 0

    def line(self) -> str:
        beside = ""
        if self.ceiling_p50 is not None and self.ceiling_p95 is not None:
            beside = (
                f"   ceiling p50 {self.ceiling_p50:6.2f} p95 {self.ceiling_p95:6.2f}"
                f"   ({self.p50 / self.ceiling_p50:.1f}x)"
            )
        return (
            f"  {self.label:<46} p50 {self.p50:7.2f} ms  p95 {self.p95:7.2f} ms"
            f"  ({self.rows} rows){beside}"
        )


def ms_stats(times: list[float]) -> tuple[float, float]:
    return statistics.median(times) * 1000, percentile(times, 0.95) * 1000


def measure(
    repeat: int, label: str, work: Callable[[], Any], roof: Callable[[], Any] | None
) -> Figure:
    """Time work and its ceiling alternately, `repeat` times each, after one warm run."""
    answer = work()
    if roof is not None:
        roof()
    times: list[float] = []
    roof_times: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
        if roof is not None:
            started = time.perf_counter()
            roof()
            roof_times.append(time.perf_counter() - started)
    p50, p95 = ms_stats(times)
    figure = Figure(label, p50, p95, len(answer), samples=repeat)
    if roof_times:
        figure.ceiling_p50, figure.ceiling_p95 = ms_stats(roof_times)
    print(figure.line(), flush=True)
    return figure


def measure_report(db: Database, year: int, now: datetime, repeat: int) -> list[Figure]:
    """The report's query three ways and its route, each beside the raw ceiling."""
    view = construct_view(READ_MODELS["recruitment"], db.settings.persistence_env(), db.dialect)
    raw = Raw(db, view)
    june = datetime(year, 6, 30, 23, 59, 59, tzinfo=UTC)
    figures = []
    try:
        for label, as_of, department in (
            ("report(year), now", now, None),
            ("report(year, department=sales), now", now, "sales"),
            ("report(year), as of 30 June", june, None),
        ):
            figures.append(
                measure(
                    repeat,
                    label,
                    partial(view.report, year, as_of, department),
                    ceiling(raw, year, as_of, department),
                )
            )
        figures.append(measure_route(db, year, repeat, ceiling(raw, year, now, None)))
    finally:
        raw.close()
        close_view(view)
    return figures


def measure_route(db: Database, year: int, repeat: int, roof: Callable[[], Any]) -> Figure:
    """`GET /reports/recruitment` through TestClient, the whole year on one page."""
    services = build(db.settings, run_projections=False)
    assert db.settings.jwt_secret is not None
    token = mint(db.settings.jwt_secret, "bench-admin", ["admin"], timedelta(hours=1))
    try:
        with TestClient(
            create_app(services=services), headers={"Authorization": f"Bearer {token}"}
        ) as client:

            def get() -> list[Any]:
                answer = client.get(f"/reports/recruitment?fiscal_year={year}&limit=1000")
                assert answer.status_code == 200, answer.text
                assert "mops-read-model-lagging" not in answer.headers
                items: list[Any] = answer.json()["items"]
                return items

            return measure(repeat, "GET /reports/recruitment (TestClient)", get, roof)
    finally:
        services.close()


def fold(app: Backoffice, db: Database) -> str:
    """Rebuild the recruitment read model; ANALYZE its tables on PostgreSQL."""
    env = db.settings.persistence_env()
    started = time.perf_counter()
    rebuild(app, READ_MODELS["recruitment"], env, db.dialect)
    elapsed = time.perf_counter() - started
    view = construct_view(READ_MODELS["recruitment"], env, db.dialect)
    try:
        facts = view.query(f"SELECT COUNT(*) AS n FROM {view.table('recruitment_facts')}", [])
        if db.dialect == "postgres":
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                for table in READ_MODELS["recruitment"].read_model.table_names:
                    conn.execute(f"ANALYZE {view.table(table)}")
    finally:
        close_view(view)
    return f"rebuild recruitment: {elapsed:.1f} s, {facts[0]['n']} fact rows"


# Part 2: the hire gate under contention.


def candidate(app: Backoffice, department: str, n: int) -> UUID:
    """A candidate for the race position who passed the interview and the check."""
    eid = app.handle(
        ADMIN, RegisterCandidate(name=f"Racer {n}", position=RACE_POSITION, department=department)
    ).id
    for kind in ("interview", "background_check"):
        app.handle(ADMIN, RecordInterview(eid, kind=kind, result="pass", score=80))
    return eid


def hire(app: Backoffice, department: str, eid: UUID) -> Outcome:
    today = datetime.now(UTC).date()
    command = HireEmployee(eid, hired_on=today, position=RACE_POSITION, department=department)
    return app.handle(ADMIN, command)


def prepare(app: Backoffice, department: str, places_left: int) -> list[UUID]:
    """A department with 2 + k places this year, 2 of them filled; 8 candidates ready."""
    year = datetime.now(UTC).year
    lines = [
        {
            "position": RACE_POSITION,
            "quarter": q,
            "headcount": PREFILLED + places_left,
            "monthly_cost_per_head": MONTHLY_COST,
        }
        for q in QUARTERS
    ]
    plan = app.handle(HR, DraftStaffingPlan(department=department, fiscal_year=year, lines=lines))
    app.handle(HR, SubmitStaffingPlan(plan.id))
    app.handle(EXECUTIVE, ApproveStaffingPlan(plan.id))
    for n in range(PREFILLED):
        hire(app, department, candidate(app, department, n))
    return [candidate(app, department, PREFILLED + n) for n in range(RACERS)]


def attempt(app: Backoffice, department: str, eid: UUID) -> tuple[str, float, float]:
    """Hire one; its outcome, start and end (perf_counter)."""
    started = time.perf_counter()
    try:
        hire(app, department, eid)
        outcome = "hired"
    except HeadcountExceeded:
        outcome = "headcount_exceeded"
    except VersionConflict:
        outcome = "conflict"
    except Exception as error:  # counted and shown, not hidden
        outcome = type(error).__name__
    return outcome, started, time.perf_counter()


def race(
    app: Backoffice, department: str, candidates: list[UUID]
) -> list[tuple[str, float, float]]:
    """8 threads released together, each hiring its own candidate."""
    barrier = threading.Barrier(len(candidates))
    results: list[tuple[str, float, float]] = []
    lock = threading.Lock()

    def run(eid: UUID) -> None:
        barrier.wait()
        result = attempt(app, department, eid)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(eid,)) for eid in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def calm(
    app: Backoffice, department: str, candidates: list[UUID]
) -> list[tuple[str, float, float]]:
    """The same 8 hires one after another."""
    return [attempt(app, department, eid) for eid in candidates]


@dataclass
class Contention:
    """The rounds of one database."""

    lines: list[str] = field(default_factory=list)
    # (outcome, seconds) of each hire, racing and one at a time.
    raced: list[tuple[str, float]] = field(default_factory=list)
    alone: list[tuple[str, float]] = field(default_factory=list)
    # Per round: from the first start to the last answer, racing and one at a time.
    rounds: list[float] = field(default_factory=list)
    calm_rounds: list[float] = field(default_factory=list)
    wrong: int = 0


def measure_gate(app: CountingBackoffice, rounds: int) -> Contention:
    """A warm-up round, then `rounds` rounds with k = 1..7 places left in turn."""
    result = Contention()
    tag = f"{random.randrange(16**6):06x}"
    for n in range(rounds + 1):
        k = 3 if n == 0 else 1 + (n - 1) % (RACERS - 1)
        raced_in, calm_in = f"race {tag} {n}", f"calm {tag} {n}"
        raced_candidates = prepare(app, raced_in, k)
        calm_candidates = prepare(app, calm_in, k)
        lost_before = app.lost_races
        raced = race(app, raced_in, raced_candidates)
        lost = app.lost_races - lost_before
        alone = calm(app, calm_in, calm_candidates)
        if n == 0:
            continue
        took = max(end for _, _, end in raced) - min(start for _, start, _ in raced)
        outcomes = [o for o, _, _ in raced]
        hired, refused = outcomes.count("hired"), outcomes.count("headcount_exceeded")
        others = sorted(o for o in outcomes if o not in ("hired", "headcount_exceeded"))
        calm_outcomes = [o for o, _, _ in alone]
        ok = hired == k and refused == RACERS - k and calm_outcomes.count("hired") == k
        result.wrong += 0 if ok else 1
        result.rounds.append(took)
        result.calm_rounds.append(alone[-1][2] - alone[0][1])
        result.raced += [(o, end - start) for o, start, end in raced]
        result.alone += [(o, end - start) for o, start, end in alone]
        line = (
            f"| {n} | {k} | {took * 1000:.1f} | {hired} | {refused} | "
            f"{', '.join(others) or '-'} | {lost} | {'yes' if ok else 'NO'} |"
        )
        result.lines.append(line)
        print(f"  round {line}", flush=True)
    return result


# Running.


def bench(dialect: str, scale: int, repeat: int, rounds: int) -> tuple[list[Figure], Contention]:
    print(f"\n== {dialect} (load {load()})", flush=True)
    with database(dialect) as db:
        clock = Clock()
        app = CountingBackoffice(
            db.settings.persistence_env(),
            policy=Policy(backdating=timedelta(days=400)),
            clock=clock,
        )
        try:
            now = datetime.now(UTC)
            history = plan_history(scale, now)
            started = time.perf_counter()
            write_history(app, clock, history)
            print(
                f"  history: {app.max_position()} events in {time.perf_counter() - started:.0f} s"
                f"; {', '.join(f'{k} {v}' for k, v in sorted(history.counts.items()))}",
                flush=True,
            )
            print(f"  {fold(app, db)}", flush=True)
            figures = measure_report(db, history.year, now, repeat)
            print(f"  (load {load()}); the hire gate, 8 threads:", flush=True)
            print("  round | k | all answered ms | hired | refused | other | lost races | ok")
            contention = measure_gate(app, rounds)
        finally:
            app.close()
    print(f"  (load {load()})", flush=True)
    return figures, contention


def summary(results: dict[str, tuple[list[Figure], Contention]]) -> None:
    names = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    print("\n| database | query | p50 ms | p95 ms | ceiling p50 | ceiling p95 | rows |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for dialect, (figures, _) in results.items():
        for f in figures:
            print(
                f"| {names[dialect]} | {f.label} | {f.p50:.2f} | {f.p95:.2f} | "
                f"{f.ceiling_p50:.2f} | {f.ceiling_p95:.2f} | {f.rows} |"
            )
    print(
        "\n| database | hires | outcome | p50 ms | p95 ms | hires | round of 8, p50 ms | p95 ms |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for dialect, (_, c) in results.items():
        for label, hires, rounds in (
            ("8 at once", c.raced, c.rounds),
            ("one at a time", c.alone, c.calm_rounds),
        ):
            r50, r95 = ms_stats(rounds)
            for outcome in ("hired", "headcount_exceeded"):
                times = [t for o, t in hires if o == outcome]
                p50, p95 = ms_stats(times)
                print(
                    f"| {names[dialect]} | {label} | {outcome} | {p50:.1f} | {p95:.1f} | "
                    f"{len(times)} | {r50:.1f} | {r95:.1f} |"
                )
        print(f"{names[dialect]}: rounds not giving k hires and 8 - k refusals: {c.wrong}")
    for dialect, (_, c) in results.items():
        print(f"\n{names[dialect]} rounds:")
        print("| round | k | all answered ms | hired | refused | other | lost races | ok |")
        print("|---|---:|---:|---:|---:|---|---:|---|")
        print("\n".join(c.lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10, help="times the demo's people")
    parser.add_argument("--repeat", type=int, default=200, help="runs of each report query")
    parser.add_argument("--rounds", type=int, default=14, help="rounds of 8 racing hires")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="one database only")
    args = parser.parse_args()
    about = machine()
    print_machine(about, f"; {vars(args)}")
    started = time.perf_counter()
    results = each_dialect(
        args.only,
        lambda: about["postgresql"] != "unreachable",
        lambda dialect: bench(dialect, args.scale, args.repeat, args.rounds),
    )
    summary(results)
    print(f"\nload {load()}; total {time.perf_counter() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
