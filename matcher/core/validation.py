"""Validation errors in Japanese, each naming its field."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with one field."""

    field: str
    message: str


def field_path(loc: tuple[Any, ...]) -> str:
    """'schedule[1].start' for ('schedule', 0, 'start'); list positions count from 1."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part + 1}]"
        elif part not in ("function-after", "function-before"):
            path += f".{part}" if path else str(part)
    return path or "（行全体）"


def _choices(ctx: dict[str, Any]) -> str:
    return str(ctx.get("expected", "")).replace("' or '", "', '").replace("'", "")


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_MESSAGES: dict[str, Callable[[Any], str]] = {
    "missing": lambda e: "必須項目がありません",
    "extra_forbidden": lambda e: "知らない項目です（項目名の綴りを確かめてください）",
    "enum": lambda e: f"「{e['input']}」は使えない値です（使える値: {_choices(e['ctx'])}）",
    "literal_error": lambda e: f"「{e['input']}」は使えない値です（使える値: {_choices(e['ctx'])}）",
    "int_parsing": lambda e: f"整数ではありません（{e['input']!r}）",
    "int_type": lambda e: f"整数ではありません（{e['input']!r}）",
    "int_from_float": lambda e: f"整数ではありません（{e['input']!r}）",
    "float_parsing": lambda e: f"数値ではありません（{e['input']!r}）",
    "float_type": lambda e: f"数値ではありません（{e['input']!r}）",
    "finite_number": lambda e: "有限の数値にしてください",
    "bool_parsing": lambda e: f"true か false で書いてください（{e['input']!r}）",
    "bool_type": lambda e: f"true か false で書いてください（{e['input']!r}）",
    "string_type": lambda e: f"文字列ではありません（{e['input']!r}）",
    "list_type": lambda e: "リスト（[...]）で書いてください",
    "dict_type": lambda e: "{day, start, end} の形で書いてください",
    "model_type": lambda e: "{day, start, end} の形で書いてください",
    "model_attributes_type": lambda e: "{day, start, end} の形で書いてください",
    "date_parsing": lambda e: f"日付は YYYY-MM-DD で書いてください（{e['input']!r}）",
    "date_from_datetime_parsing": lambda e: f"日付は YYYY-MM-DD で書いてください（{e['input']!r}）",
    "date_type": lambda e: f"日付は YYYY-MM-DD で書いてください（{e['input']!r}）",
    "greater_than_equal": lambda e: f"{_num(e['ctx']['ge'])} 以上にしてください（{e['input']!r}）",
    "greater_than": lambda e: f"{_num(e['ctx']['gt'])} より大きくしてください（{e['input']!r}）",
    "less_than_equal": lambda e: f"{_num(e['ctx']['le'])} 以下にしてください（{e['input']!r}）",
    "less_than": lambda e: f"{_num(e['ctx']['lt'])} 未満にしてください（{e['input']!r}）",
    "string_too_short": lambda e: "空にはできません",
    "too_short": lambda e: "空にはできません",
    "string_too_long": lambda e: f"長すぎます（{e['ctx']['max_length']}文字まで）",
    "too_long": lambda e: (
        f"長すぎます（{e['ctx']['max_length']}文字まで）"
        if isinstance(e.get("input"), str)
        else f"多すぎます（{e['ctx']['max_length']}件まで）"
    ),
    "string_pattern_mismatch": lambda e: f"形式が違います（{e['input']!r}）",
    "json_invalid": lambda e: "JSONとして読めません",
}


def _message(error: Any) -> str:
    if error["type"] == "value_error":
        return str(error["ctx"]["error"])
    render = _MESSAGES.get(error["type"])
    return render(error) if render else str(error["msg"])


def field_errors(exc: ValidationError, descriptions: dict[str, str] | None = None) -> list[FieldError]:
    """Every error of a failed validation, in Japanese, with its field path."""
    out = []
    for error in exc.errors():
        field = field_path(error["loc"])
        message = _message(error)
        if error["type"] == "string_pattern_mismatch" and descriptions and field in descriptions:
            message = f"{descriptions[field]}（{error['input']!r}）"
        out.append(FieldError(field, message))
    return out
