"""Field types shared by the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Money = Annotated[str, Field(description="money: a decimal string", examples=["1250.00"])]
Decimal = Annotated[str, Field(description="a decimal string", examples=["0.05"])]
Ratio = Annotated[float, Field(description="a ratio, rounded to 4 places", examples=[0.6818])]
Hours = Annotated[float, Field(description="hours, rounded to 2 places", examples=[26.5])]
Id = Annotated[str, Field(description="an id (a UUID)")]
Subject = Annotated[str, Field(description="an employee id, the `sub` of a token")]


class Answer(BaseModel):
    """An object of an answer: members may be added later, clients ignore unknown ones."""

    model_config = ConfigDict(extra="allow")


class Aggregate(Answer):
    """What every aggregate's read answers."""

    id: Id
    version: int = Field(ge=1, description="the version read; the `ETag`")
    created_at: datetime
    updated_at: datetime


class Listed(Answer):
    """What every item of a directory (`GET /{collection}`) carries."""

    id: Id
    version: int = Field(ge=1)
    position: int = Field(description="the log position that listed it: the list's order")


class Event(Answer):
    """One event of the log, as history and the audit log answer it."""

    position: int = Field(ge=1, description="its place in the global log")
    aggregate_type: str
    aggregate_id: Id
    version: int = Field(ge=1, description="the aggregate's version after it")
    type: str = Field(description="the event's name, e.g. `Contract.Signed`")
    recorded_at: datetime
    occurred_at: datetime = Field(description="when it happened in the world")
    actor: str
    data: dict[str, Any] = Field(description="the event's fields; personal ones `[erased]`")
