"""Types shared by the request bodies."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from domain.values import CENT, MAX_COUNT, MAX_MONEY


def _two_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite amount")
    if abs(value) > MAX_MONEY:
        raise ValueError(f"must not exceed {MAX_MONEY} in size")
    if value != value.quantize(CENT):
        raise ValueError("money has at most two decimal places")
    return value.quantize(CENT)


Money = Annotated[Decimal, AfterValidator(_two_places)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def example(body: dict[str, Any]) -> ConfigDict:
    """A command body's example for the OpenAPI document; one the API accepts (a test
    validates each against its model)."""
    return ConfigDict(json_schema_extra={"examples": [body]})


class Command(BaseModel):
    """A command body: unknown fields are a validation error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Empty(Command):
    """A command that takes no fields: `{}`."""

    model_config = example({})


Score1to5 = Annotated[int, Field(ge=1, le=5, strict=True)]
# A count of things, from none to the most an INTEGER column of a read model holds.
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]
# A count of at least one: points awarded or redeemed, an escalation level.
PositiveCount = Annotated[int, Field(ge=1, le=MAX_COUNT, strict=True)]
