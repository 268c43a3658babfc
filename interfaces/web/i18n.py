"""Languages of the pages: gettext catalogues compiled at import, the language a request
asks for, and the formatting of numbers, money and dates in it."""

from __future__ import annotations

import io
import re
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages import mofile, pofile
from babel.numbers import (
    format_compact_currency,
    format_currency,
    format_decimal,
    format_percent,
)
from babel.support import Translations
from starlette.requests import Request

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("en", "zh")
# The locale Babel formats each language's numbers in.
BABEL_LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}
LANG_COOKIE = "mops_lang"
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


@cache
def translations(lang: str) -> Translations:
    """The catalogue of a language, compiled from its messages.po (no .mo kept in the repo)."""
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = pofile.read_po(po, locale=BABEL_LOCALES[lang])
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled)


def language_of(request: Request) -> str:
    """`?lang=`, else the language chosen before (a cookie), else Accept-Language, else en."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        return asked
    return accepted_language(request.headers.get("accept-language", ""))


def accepted_language(header: str) -> str:
    """The language of ours an Accept-Language header prefers most."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else "en"


def as_decimal(value: Any) -> Decimal | None:
    """A number given as a JSON number or a decimal string, or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str) and _DECIMAL.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def money(value: Any, currency: str, lang: str) -> str:
    """A money amount in the language's notation, with the deployment's currency."""
    amount = as_decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    return format_currency(amount, currency, locale=BABEL_LOCALES[lang])


def short_money(value: Any, currency: str, lang: str) -> str:
    """A money amount in short (CN¥427K, ¥43万), for a chart's labels."""
    amount = as_decimal(value)
    if amount is None:
        return ""
    return format_compact_currency(amount, currency, locale=BABEL_LOCALES[lang], fraction_digits=1)


def number(value: Any, lang: str) -> str:
    """A count or a decimal with the language's grouping."""
    amount = as_decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    return format_decimal(amount, locale=BABEL_LOCALES[lang])


def percent(value: Any, lang: str) -> str:
    """A ratio (0.6818) as a percentage (68.2%)."""
    ratio = as_decimal(value)
    if ratio is None:
        return "" if value is None else str(value)
    return format_percent(ratio, format="#,##0.0%", locale=BABEL_LOCALES[lang])
