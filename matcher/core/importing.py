"""Reading JSON Lines and CSV files of records: every bad row reported, nothing half-read."""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from matcher.core.validation import field_errors

Record = TypeVar("Record", bound=BaseModel)


@dataclass(frozen=True)
class RowError:
    """Something wrong in a file: its line (0 for the whole file), field and reason."""

    line: int
    field: str
    message: str

    def render(self, filename: str) -> str:
        """'resources.csv:3: kind: …' — file, line, field, reason."""
        where = f"{filename}:{self.line}" if self.line else filename
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ImportRejected(Exception):
    """A file that cannot be imported as a whole, with every reason found."""

    def __init__(self, filename: str, errors: list[RowError]) -> None:
        super().__init__(f"{filename}: {len(errors)}件の誤りがあるため読み込みませんでした")
        self.filename = filename
        self.errors = errors

    def lines(self, limit: int | None = None) -> list[str]:
        """The errors rendered one per line, at most limit of them."""
        shown = [e.render(self.filename) for e in self.errors[:limit]]
        if limit is not None and len(self.errors) > limit:
            shown.append(f"…ほか {len(self.errors) - limit} 件")
        return shown


def decode(data: bytes, filename: str) -> str:
    """UTF-8 text of a file (a BOM is allowed), or a rejection naming the first bad byte."""
    if not data.strip():
        raise ImportRejected(filename, [RowError(0, "", "ファイルが空です")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportRejected(
            filename,
            [
                RowError(
                    line, "", f"UTF-8 ではありません（{exc.start + 1}バイト目）。UTF-8 で保存し直してください"
                )
            ],
        ) from None


def file_format(filename: str) -> str:
    """'jsonl' or 'csv' from the file's extension."""
    suffix = Path(filename).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise ImportRejected(
        filename, [RowError(0, "", f"拡張子 {suffix or '（なし）'} は読めません（.jsonl か .csv）")]
    )


def jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """Each non-blank line as an object, or the reason it is not one."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowError(number, "", f"JSONとして読めません: {exc.msg}（{exc.colno}文字目）")
            continue
        if not isinstance(value, dict):
            yield number, RowError(number, "", "1行に1つのJSONオブジェクト（{...}）を書いてください")
            continue
        yield number, value


def csv_rows(text: str, model: type[BaseModel]) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """Each CSV record as a dict of its non-empty cells; header problems are reported on line 1."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    known = set(model.model_fields)
    required = [name for name, f in model.model_fields.items() if f.is_required()]
    problems = [RowError(1, h, "知らない列名です") for h in header if h not in known]
    problems += [RowError(1, name, "必須の列がありません") for name in required if name not in header]
    problems += [RowError(1, h, "同じ列名が二度あります") for i, h in enumerate(header) if h in header[:i]]
    if problems:
        yield from ((1, p) for p in problems)
        return
    line = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            if len(cells) != len(header):
                yield (
                    line,
                    RowError(line, "", f"列の数が見出し（{len(header)}列）と違います（{len(cells)}列）"),
                )
            else:
                yield line, {h: c for h, c in zip(header, cells, strict=True) if c.strip() != ""}
        line = reader.line_num + 1


def parse_file(data: bytes, filename: str, model: type[Record]) -> list[tuple[int, Record]]:
    """Every record of a JSONL or CSV file, validated; raises ImportRejected listing every bad row."""
    kind = file_format(filename)
    text = decode(data, filename)
    rows = jsonl_rows(text) if kind == "jsonl" else csv_rows(text, model)
    descriptions = {name: f.description for name, f in model.model_fields.items() if f.description}
    records: list[tuple[int, Record]] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        if isinstance(row, RowError):
            errors.append(row)
            continue
        try:
            record = model.model_validate(row)
        except ValidationError as exc:
            errors.extend(RowError(line, e.field, e.message) for e in field_errors(exc, descriptions))
            continue
        record_id = str(getattr(record, "id", line))
        if record_id in first_line:
            errors.append(RowError(line, "id", f"「{record_id}」は {first_line[record_id]}行目にもあります"))
            continue
        first_line[record_id] = line
        records.append((line, record))
    if errors:
        raise ImportRejected(filename, errors)
    if not records:
        raise ImportRejected(filename, [RowError(0, "", "読み込むデータ行がありません")])
    return records
