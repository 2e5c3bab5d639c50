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


def _quoting_input(message: str) -> Callable[[Any], str]:
    """The message, then the refused value: 整数ではありません（'x'）."""
    return lambda e: f"{message}（{e['input']!r}）"


def _bound(limit: str, message: str) -> Callable[[Any], str]:
    """The limit from the error's context, the message, then the refused value: 1 以上にしてください（0）."""
    return lambda e: f"{_num(e['ctx'][limit])} {message}（{e['input']!r}）"


def _always(message: str) -> Callable[[Any], str]:
    return lambda e: message


def _choice_error(e: Any) -> str:
    return f"「{e['input']}」は使えない値です（使える値: {_choices(e['ctx'])}）"


# The error types pydantic raises for one mistake share its message.
_MESSAGES: dict[str, Callable[[Any], str]] = {
    "missing": _always("必須項目がありません"),
    "extra_forbidden": _always("知らない項目です（項目名の綴りを確かめてください）"),
    **dict.fromkeys(("enum", "literal_error"), _choice_error),
    **dict.fromkeys(("int_parsing", "int_type", "int_from_float"), _quoting_input("整数ではありません")),
    **dict.fromkeys(("float_parsing", "float_type"), _quoting_input("数値ではありません")),
    "finite_number": _always("有限の数値にしてください"),
    **dict.fromkeys(("bool_parsing", "bool_type"), _quoting_input("true か false で書いてください")),
    "string_type": _quoting_input("文字列ではありません"),
    "list_type": _always("リスト（[...]）で書いてください"),
    **dict.fromkeys(
        ("dict_type", "model_type", "model_attributes_type"),
        _always("{day, start, end} の形で書いてください"),
    ),
    **dict.fromkeys(
        ("date_parsing", "date_from_datetime_parsing", "date_type"),
        _quoting_input("日付は YYYY-MM-DD で書いてください"),
    ),
    "greater_than_equal": _bound("ge", "以上にしてください"),
    "greater_than": _bound("gt", "より大きくしてください"),
    "less_than_equal": _bound("le", "以下にしてください"),
    "less_than": _bound("lt", "未満にしてください"),
    **dict.fromkeys(("string_too_short", "too_short"), _always("空にはできません")),
    "string_too_long": lambda e: f"長すぎます（{e['ctx']['max_length']}文字まで）",
    "too_long": lambda e: (
        f"長すぎます（{e['ctx']['max_length']}文字まで）"
        if isinstance(e.get("input"), str)
        else f"多すぎます（{e['ctx']['max_length']}件まで）"
    ),
    "string_pattern_mismatch": _quoting_input("形式が違います"),
    "json_invalid": _always("JSONとして読めません"),
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
