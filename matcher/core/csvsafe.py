"""CSV for spreadsheet software, with formula injection neutralised (OWASP "CSV Injection").

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets (`=HYPERLINK(…)`, `@SUM(…)`); such a cell is written with a
single quote in front, so it shows as the text it is. Every CSV the application writes goes through
`write_csv`.
"""

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value, or for text that a spreadsheet would take as a formula, the text after a `'`.

    Numbers are left alone (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """The rows as CSV text, UTF-8 BOM first (so spreadsheet software reads Japanese), every cell safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return "\ufeff" + out.getvalue()
