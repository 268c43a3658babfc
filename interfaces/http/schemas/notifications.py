"""Bodies of the webhook commands (API.md, webhooks); the notification commands take `{}`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from interfaces.http.schemas.common import Command, ShortText, example

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Subscribe(Command):
    model_config = example(
        {
            "url": "http://127.0.0.1:9000/mops",
            "secret": "a long random secret",
            "rules": ["dunning_due", "credit_alert"],
        }
    )
    url: Url
    secret: ShortText
    rules: list[ShortText] = Field(min_length=1, max_length=20)
