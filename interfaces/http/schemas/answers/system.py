"""Answers of `/health`, `/ready`, `/projections` and `/audit/verify|seal`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from interfaces.http.schemas.answers.common import Answer


class Health(Answer):
    """The process lives; the log's newest position, null when the database is away."""

    status: Literal["ok"]
    position: int | None


class Ready(Answer):
    """The database answers and every read model folds within the lag allowed."""

    status: Literal["ready"]
    position: int


class ReadModelStatus(Answer):
    """One read model: how far it folded, its lag behind the log, and its health."""

    name: str
    position: int
    lag: int = Field(ge=0)
    state: Literal["running", "stopped", "failed"]
    restarts: int = Field(ge=0)
    last_error: str | None
    failed_at_position: int | None
    holder: str | None = Field(description="the process folding it, null when stopped")


class ChainHead(Answer):
    """A position of the log and its chained hash (lower-case hex)."""

    position: int
    hash: str


class ChainVerdict(Answer):
    """How far the hash chain holds; where it breaks, and why, when it does."""

    ok: bool
    verified_to: int
    head: ChainHead
    broken_at: int | None = Field(default=None, description="only when not ok")
    problem: str | None = Field(default=None, description="only when not ok")
    detail: str | None = Field(default=None, description="only when not ok")


class Seal(Answer):
    """The head of the chain signed with the deployment's Ed25519 key.

    `signature` is over the UTF-8 bytes of `{"hash","position","sealed_at"}` as JSON with
    sorted keys and no spaces.
    """

    position: int
    hash: str = Field(description="lower-case hex")
    sealed_at: datetime
    public_key: str = Field(description="base64")
    signature: str = Field(description="base64")
