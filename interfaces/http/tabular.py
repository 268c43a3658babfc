"""JSON rows as tables: flattened, spooled to disk, written as CSV or as an Excel workbook.

A row becomes one column per field: a nested object's members are columns of their own,
named by their path (`overdue.1_30`), a list is one column holding its JSON text. The
columns are those of every row, in the order they first appear (a member that only a
later row has goes beside its siblings), so rows are spooled to a temporary file while
they arrive and the table is written from it once every row is known: memory holds a
page of rows and the column names, never the table.

Cells: CSV writes a value as JSON would carry it, unquoted (a decimal string as itself,
`true`/`false`, a number as JSON writes it, nothing for `null`). The workbook writes a
decimal string (money, in API.md) as a number cell with as many places as the string,
booleans and numbers as such, and every other text as text, one starting with `=`
included (never a formula).
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell.cell import (  # type: ignore[import-untyped]
    ILLEGAL_CHARACTERS_RE,
    WriteOnlyCell,
)

# A decimal string as API.md writes money and decimals: digits, a point, digits.
DECIMAL = re.compile(r"-?[0-9]+\.[0-9]+")
# Excel keeps at most this many characters in a cell, and 31 in a sheet's name.
MAX_CELL_TEXT = 32_767
MAX_SHEET_TITLE = 31
# How much CSV text is sent as one chunk of the answer.
CSV_CHUNK_BYTES = 64 * 1024


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A row as one value per column: nested objects by dotted path, lists as JSON text."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        else:
            flat[name] = value
    return flat


class Columns:
    """The columns of a table, in the order they first appear in its rows."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def see(self, keys: Iterator[str] | list[str]) -> None:
        """Take a row's keys: a new one goes right after the key before it in that row."""
        before = -1
        for key in keys:
            at = self._index.get(key)
            if at is None:
                at = before + 1
                self.names.insert(at, key)
                self._index = {name: i for i, name in enumerate(self.names)}
            before = at


class Spool:
    """Flattened rows on a temporary file, and their columns; read back row by row."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.columns = Columns()
        self.count = 0
        # Closed by `close()`, when the answer was sent.
        self._file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Spool rows (JSON objects; anything else is taken as a one-column row)."""
        lines = []
        for row in rows:
            flat = flatten(row if isinstance(row, dict) else {"value": row})
            self.columns.see(list(flat))
            lines.append(json.dumps(flat, ensure_ascii=False).encode())
        if lines:
            self._file.write(b"\n".join(lines) + b"\n")
        self.count += len(lines)

    def rows(self) -> Iterator[list[Any]]:
        """Every row spooled, as the values of its columns (None where a row has none)."""
        names = self.columns.names
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            flat = json.loads(line)
            yield [flat.get(name) for name in names]

    def close(self) -> None:
        self._file.close()


def csv_text(value: Any) -> str:
    """A value as CSV carries it: as JSON writes it, a string without its quotes."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def csv_chunks(spool: Spool) -> Iterator[bytes]:
    """The spool as UTF-8 CSV (RFC 4180, a header line first), in chunks of about 64 KiB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if spool.columns.names:
        writer.writerow(spool.columns.names)
    for values in spool.rows():
        writer.writerow([csv_text(value) for value in values])
        if buffer.tell() >= CSV_CHUNK_BYTES:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def sheet_title(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts, unique in its workbook."""
    title = re.sub(r"[\[\]:*?/\\]", "-", name).strip("'") or "rows"
    title = title[:MAX_SHEET_TITLE]
    base, n = title, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: MAX_SHEET_TITLE - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


class Cells:
    """Makes the workbook's cells: a decimal as a number with its places, text as text."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet
        self._formats: dict[int, str] = {}

    def cell(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if DECIMAL.fullmatch(value):
            cell = WriteOnlyCell(self.sheet, value=Decimal(value))
            cell.number_format = self._format(len(value) - value.index(".") - 1)
            return cell
        text = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
        if not text.startswith("="):
            return text
        cell = WriteOnlyCell(self.sheet, value=text)
        cell.data_type = "s"  # text, though it starts like a formula
        return cell

    def _format(self, places: int) -> str:
        if places not in self._formats:
            self._formats[places] = "#,##0." + "0" * places
        return self._formats[places]


def write_workbook(spools: list[Spool], out: IO[bytes]) -> None:
    """An .xlsx of one sheet per spool (its title, its columns as the first row)."""
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    for spool in spools:
        sheet = workbook.create_sheet(title=sheet_title(spool.title, taken))
        cells = Cells(sheet)
        if spool.columns.names:
            sheet.append([cells.cell(name) for name in spool.columns.names])
        for values in spool.rows():
            sheet.append([cells.cell(value) for value in values])
    if not spools:
        workbook.create_sheet(title="rows")
    workbook.save(out)
