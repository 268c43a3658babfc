"""Settings: one frozen object read from the `MOPS_*` environment variables."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from interfaces.personal_data import mapper_env
from projections.grouped import (
    GroupCommitPostgresApplicationRecorder,
    GroupCommitSQLiteApplicationRecorder,
)
from projections.postgres import (
    LIBPQ_OPTIONS,
    SHARED_POOL,
    MultiHostPostgresFactory,
    hosts_and_ports,
    libpq_options,
)
from projections.sqlite_factory import StatementCachingSQLiteFactory
from projections.warnings import DEFAULT_THRESHOLDS

# Options of MOPS_DATABASE_URL's query that are mops's own, not libpq's.
MOPS_URL_OPTIONS = ("pool_size", "max_overflow", "schema")


def _topic(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


class Settings(BaseSettings):
    """Everything a deployment may set (API.md, Settings)."""

    model_config = SettingsConfigDict(env_prefix="MOPS_", frozen=True, extra="ignore")

    database_url: str = "sqlite:///./mops.db"
    jwt_secret: str | None = None
    # Where people reach this deployment: the one-time sign-in links start with it.
    public_url: str = "http://127.0.0.1:8000"
    # Ed25519 private key (PEM, or base64 of its 32 bytes) that signs seals of the log.
    signing_key: str | None = None
    # The longest a token may live, in minutes (API.md): longer ones are refused.
    token_max_ttl: int = Field(default=720, ge=1)
    currency: str = "CNY"
    projections: Literal["inprocess", "external"] = "inprocess"
    backdating_days: int = Field(default=31, ge=0)
    # Capped at 5 s a request, whatever is set here (interfaces/http/reads.py).
    read_wait_seconds: float = Field(default=5.0, ge=0)
    # `/ready` answers 503 when a read model is more events than this behind the log.
    ready_max_lag: int = Field(default=1000, ge=0)
    # A request body larger than this answers 413, unread (API.md).
    max_body_bytes: int = Field(default=1_048_576, ge=1)
    # A bearer token that may read `/metrics` besides the users' tokens; unset: none.
    metrics_token: str | None = None
    # The commands of a process arriving together commit in one transaction (issue 16).
    group_commit: bool = True
    # PostgreSQL: the most connections a process holds for commands and queries, all
    # from one pool; where the process runs the read side, it adds 2 of its own.
    db_pool_size: int = Field(default=10, ge=2)
    write_off_limit: Decimal = Field(default=Decimal("50000.00"), ge=0)
    # JSON in the environment: MOPS_EXPENSE_STANDARDS='{"travel": "20000"}'.
    expense_standards: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "entertainment": Decimal("5000.00"),
            "travel": Decimal("20000.00"),
            "office": Decimal("10000.00"),
        }
    )

    # Complaint SLA in hours by severity (JSON), stamped into each complaint received.
    sla_response_hours: dict[str, int] = Field(
        default_factory=lambda: {"critical": 2, "high": 8, "medium": 24, "low": 72}
    )
    sla_resolution_hours: dict[str, int] = Field(
        default_factory=lambda: {"critical": 24, "high": 72, "medium": 168, "low": 336}
    )
    # Appraisal weights (JSON): per evaluation source, and per score component.
    appraisal_source_weights: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "superior": Decimal("0.5"),
            "peer": Decimal("0.2"),
            "self": Decimal("0.1"),
            "customer": Decimal("0.2"),
        }
    )
    appraisal_component_weights: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "kpi": Decimal("0.6"),
            "goals": Decimal("0.25"),
            "attitude": Decimal("0.15"),
        }
    )
    # Discount limits off the list price per role (JSON ratios), and whether a sku
    # without an active list price needs a pricing review.
    discount_limits: dict[str, Decimal] = Field(
        default_factory=lambda: {"sales": Decimal("0.10"), "sales_manager": Decimal("0.20")}
    )
    require_list_price: bool = False
    # Probability of winning per pipeline stage (JSON ratios).
    stage_probabilities: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "qualification": Decimal("0.10"),
            "needs_analysis": Decimal("0.25"),
            "proposal": Decimal("0.50"),
            "negotiation": Decimal("0.75"),
            "won": Decimal("1"),
            "lost": Decimal("0"),
        }
    )

    # The early-warning thresholds of the risk register (JSON; DOMAIN.md, Risk): a
    # warning when overdue_share or sla_breach_rate is above its threshold,
    # budget_lines_over_90 at or above it, revenue_attainment below it.
    risk_thresholds: dict[str, Decimal] = Field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))

    # Notifications (DOMAIN.md, Notifications): days overdue of dunning levels 1-3, the
    # read side's clock tick, the hosts webhooks may be at, e-mail (not sent yet), and the
    # retries of a webhook delivery: after 10 s, doubling up to 1 h, for 24 h.
    dunning_levels: str = Field(default="1,30,60", pattern=r"^\s*\d+\s*,\s*\d+\s*,\s*\d+\s*$")
    tick_seconds: float = Field(default=60.0, gt=0)
    webhook_hosts: str = "127.0.0.1,localhost"
    smtp_url: str | None = None
    webhook_retry_seconds: float = Field(default=10.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_for_seconds: float = Field(default=86400.0, ge=0)

    # Late-delivery penalties capped at this share of a contract's total; the daily
    # rate of late-payment interest (DOMAIN.md, Contract).
    penalty_cap: Decimal = Field(default=Decimal("0.10"), ge=0, le=1)
    late_interest_daily: Decimal = Field(default=Decimal("0.0005"), ge=0, le=1)
    # Complaint deadlines round the clock (24x7) or in the business calendar's working
    # time: working days ("Mon-Fri"), hours ("09:00-18:00"), zone, and holidays as ISO
    # dates separated by commas (read by interfaces/bootstrap.py, domain/calendar.py).
    sla_clock: Literal["24x7", "business"] = "24x7"
    business_days: str = "Mon-Fri"
    business_hours: str = "09:00-18:00"
    timezone: str = "Asia/Shanghai"
    holidays: str = ""

    @property
    def dialect(self) -> Literal["sqlite", "postgres"]:
        scheme = urlsplit(self.database_url).scheme
        if scheme == "sqlite":
            return "sqlite"
        if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
            return "postgres"
        raise ValueError(f"unsupported MOPS_DATABASE_URL scheme: {scheme!r}")

    def persistence_env(self) -> dict[str, str]:
        """The eventsourcing library's environment for this database."""
        url = urlsplit(self.database_url)
        if self.dialect == "sqlite":
            # sqlite:///./mops.db is relative, sqlite:////var/mops.db absolute.
            path = unquote(self.database_url[len("sqlite:///") :]) or "./mops.db"
            return {
                "PERSISTENCE_MODULE": _topic(StatementCachingSQLiteFactory),
                "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": "30",
                "APPLICATION_RECORDER_TOPIC": _topic(GroupCommitSQLiteApplicationRecorder),
                "GROUP_COMMIT": "y" if self.group_commit else "n",
                # Personal fields encrypted per data subject (interfaces/personal_data.py).
                **mapper_env(),
            }
        query = parse_qs(url.query)
        # Several hosts (a failover cluster) are tried in turn; the query's other
        # options are libpq's own, e.g. target_session_attrs=read-write.
        hosts, ports = hosts_and_ports(url.netloc)
        # Also how long a request waits for a free pooled connection (the library's pool
        # timeout): with the pool failing fast after it (projections/postgres.py), a
        # request answers 503 within API.md's 5 s when the database is away or busy.
        connect_timeout = "2"
        options = {k: v[-1] for k, v in query.items() if k not in MOPS_URL_OPTIONS}
        env = {
            "PERSISTENCE_MODULE": _topic(MultiHostPostgresFactory),
            "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": hosts,
            "POSTGRES_PORT": ports,
            LIBPQ_OPTIONS: libpq_options(options, connect_timeout),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            **self._pool_sizes(query),
            SHARED_POOL: "y",
            "POSTGRES_CONNECT_TIMEOUT": connect_timeout,
            "APPLICATION_RECORDER_TOPIC": _topic(GroupCommitPostgresApplicationRecorder),
            "GROUP_COMMIT": "y" if self.group_commit else "n",
            **mapper_env(),
            # Never POSTGRES_ENABLE_DB_FUNCTIONS: it lets a tailing reader skip
            # events committed by concurrent writers.
        }
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"][0]
        return env

    def _pool_sizes(self, query: dict[str, list[str]]) -> dict[str, str]:
        """The process's pool: the URL's `pool_size` kept open, at most MOPS_DB_POOL_SIZE.

        The URL's `max_overflow`, where given, caps it lower still.
        """
        kept = min(_whole(query, "pool_size", 2), self.db_pool_size)
        most = self.db_pool_size
        if "max_overflow" in query:
            most = min(most, kept + _whole(query, "max_overflow", 0))
        return {"POSTGRES_POOL_SIZE": str(kept), "POSTGRES_MAX_OVERFLOW": str(most - kept)}


def _whole(query: dict[str, list[str]], name: str, default: int) -> int:
    """A count given in MOPS_DATABASE_URL's query (the last one given), or the default."""
    if name not in query:
        return default
    text = query[name][-1]
    if not text.isdigit():
        raise ValueError(f"MOPS_DATABASE_URL: {name} must be a whole number, not {text!r}")
    return int(text)
