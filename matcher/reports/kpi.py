"""The figures municipalities report (domain.md §10), by fiscal year (1 April to 31 March, Japan time) with
a monthly breakdown, the targets an admin sets for them, and the CSV and Excel workbook handed on.

The counting is the named query `kpi.figures` (sql/queries/kpi.sql); what each figure means, its Japanese
label and its definition are the one table FIGURES below, read by the CLI, the page, the CSV and the
workbook alike. A period still under way is counted up to now; a period wholly in the future has no
figures (null, shown as 「—」), since a 0 there would read as "nothing happened".
"""

import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from zoneinfo import ZoneInfo

import psycopg
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from matcher.accounts import audit
from matcher.core.csvsafe import safe_cell, write_csv
from matcher.errors import Invalid
from matcher.sql import queries

SQL = queries("kpi")
JST = ZoneInfo("Asia/Tokyo")
TIME_ZONE = "Asia/Tokyo"  # the same zone, as PostgreSQL names it (days are counted in Japan time)
FIRST_YEAR, LAST_YEAR = 2000, 2100
MONTH_LABELS = ("4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月", "1月", "2月", "3月")

Kind = Literal["count", "days", "ratio"]
Value = int | float | None


@dataclass(frozen=True)
class Figure:
    """One reported figure: its key, Japanese name (指標), definition, and how it is counted and shown."""

    key: str
    label: str
    definition: str
    kind: Kind
    unit: str  # shown after a count or a number of days
    lower_is_better: bool = False

    @property
    def target_limit(self) -> Decimal:
        """The largest target accepted, in the unit the form shows (shares in %)."""
        return {"count": Decimal(100_000), "days": Decimal(3650), "ratio": Decimal(100)}[self.kind]


# The one table of the figures (domain.md §10). Definitions are those of the spec, in Japanese.
FIGURES: tuple[Figure, ...] = (
    Figure(
        "people_supported",
        "支援対象者数",
        "年度（月）のあいだに、つなぎ先（確定から終了まで。終了していなければ現在まで）がある人の数。"
        "同じ人は1人と数えます。",
        "count",
        "人",
    ),
    Figure(
        "cooperating_hosts",
        "協力事業者数（受け入れ先）",
        "年度（月）のあいだに、見学・体験以降（見学・体験、利用中）の段階にあったつなぎ先を持つ社会資源の数。"
        "同じ社会資源は1か所と数えます。",
        "count",
        "か所",
    ),
    Figure(
        "new_resources",
        "新たに開拓した社会資源",
        "既存事業ではない社会資源（参加支援の受け入れ先）のうち、年度（月）のあいだに初めて登録されたものの数。",
        "count",
        "か所",
    ),
    Figure(
        "placements_started",
        "参加開始件数",
        "年度（月）のあいだに利用中（利用開始）になったつなぎ先の件数。",
        "count",
        "件",
    ),
    Figure(
        "median_days_to_first_activity",
        "初回活動までの日数（中央値）",
        "初めての見学・体験または利用開始が年度（月）のあいだにあった人について、"
        "ニーズプロファイルの登録日からその日までの日数（日本時間の暦日）の中央値。該当者がいなければ「—」。",
        "days",
        "日",
        lower_is_better=True,
    ),
    Figure(
        "retention_3m",
        "定着率（3か月）",
        "年度（月）のあいだに記録された3か月後のフォローアップのうち、「参加を続けている」の割合。"
        "記録がなければ「—」。",
        "ratio",
        "%",
    ),
    Figure(
        "retention_6m",
        "定着率（6か月）",
        "年度（月）のあいだに記録された6か月後のフォローアップのうち、「参加を続けている」の割合。"
        "記録がなければ「—」。",
        "ratio",
        "%",
    ),
    Figure(
        "listings_confirmed_12m_share",
        "12か月以内に確認された掲載の割合",
        "年度（月）の末日（まだ来ていなければ今日）に受け付け中の社会資源のうち、"
        "確認日がその日までの365日以内にあるものの割合。",
        "ratio",
        "%",
    ),
)
FIGURE_KEYS: tuple[str, ...] = tuple(figure.key for figure in FIGURES)
BY_KEY: dict[str, Figure] = {figure.key: figure for figure in FIGURES}
# What every figure shares, for the workbook's 定義 sheet and the page.
COMMON_RULES: tuple[tuple[str, str], ...] = (
    ("年度", "4月1日から翌年3月31日まで（日本時間）。月別の値はその月だけで数えます。"),
    ("取り消し", "取り消したつなぎ先は、どの指標にも数えません。"),
    ("集計中の期間", "年度や月の途中では、その日までの分を数えます。まだ来ていない月は「—」です。"),
    ("「—」", "対象がなく値が決まらないもの、またはまだ来ていない月です。"),
    (
        "達成率",
        "実績 ÷ 目標。初回活動までの日数は短いほどよいので 目標 ÷ 実績 です。"
        "年度の途中では、その日までの実績で計算します。",
    ),
    (
        "確認日と受け付け状況",
        "掲載の割合は、社会資源の今の受け付け状況と最新の確認日で数えます（過去の月も同じです）。",
    ),
)


@dataclass(frozen=True)
class Period:
    """A stretch of time the figures are counted over: [start, end) in Japan time."""

    start: datetime
    end: datetime

    def cut(self, now: datetime) -> datetime:
        """The end, or now if the period is still under way."""
        return min(self.end, now)

    def day(self, now: datetime) -> date:
        """The day listings are looked at: the period's last day, or today if that is earlier."""
        last = (self.end - timedelta(days=1)).astimezone(JST).date()
        return min(last, now.astimezone(JST).date())

    def begun(self, now: datetime) -> bool:
        """Some of the period has passed."""
        return self.start <= now


@dataclass(frozen=True)
class MonthFigures:
    """The figures of one month of the year."""

    month: str  # YYYY-MM
    label: str  # 4月 …
    values: dict[str, Value]


@dataclass(frozen=True)
class KpiReport:
    """A fiscal year's figures and its twelve months, counted as of `as_of`."""

    fiscal_year: int
    first_day: date
    last_day: date
    as_of: datetime
    values: dict[str, Value]
    monthly: list[MonthFigures]

    def document(self) -> dict[str, Any]:
        """The JSON document of interfaces.md (`matcher report kpi --json`, `GET /api/reports/kpi`)."""
        return (
            {
                "fiscal_year": self.fiscal_year,
                "from": self.first_day.isoformat(),
                "to": self.last_day.isoformat(),
            }
            | {key: self.values[key] for key in FIGURE_KEYS}
            | {
                "monthly": [
                    {"month": m.month} | {key: m.values[key] for key in FIGURE_KEYS} for m in self.monthly
                ]
            }
        )


@dataclass(frozen=True)
class Target:
    """An admin's target for one figure of one year (shares as a ratio in 0..1)."""

    key: str
    value: float
    set_by: str
    set_at: datetime


@dataclass(frozen=True)
class FigureLine:
    """One figure as the page, the CSV and the workbook show it."""

    figure: Figure
    value: Value
    target: Target | None
    progress: float | None
    monthly: list[Value]


class TargetsInvalid(Invalid):
    """Some typed targets are not acceptable; `errors` holds a Japanese message per figure key."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(errors[first], field=first)
        self.errors = errors


# --- the year and its months -----------------------------------------------------------------------------


def fiscal_year_of(moment: datetime) -> int:
    """The fiscal year a moment belongs to in Japan time (2026-03-31T15:30Z is 2026-04-01 JST: FY2026)."""
    local = moment.astimezone(JST)
    return local.year if local.month >= 4 else local.year - 1


def check_fiscal_year(value: int | str) -> int:
    """The fiscal year as a number in the range we count, or Invalid."""
    text = unicodedata.normalize("NFKC", str(value)).strip().removesuffix("年度")
    if not text.isdigit() or not FIRST_YEAR <= int(text) <= LAST_YEAR:
        raise Invalid(
            f"年度は {FIRST_YEAR}〜{LAST_YEAR} の西暦で指定してください（例: 2026）", field="fiscal_year"
        )
    return int(text)


def year_period(fiscal_year: int) -> Period:
    """1 April of the year to 1 April of the next, Japan time."""
    return Period(datetime(fiscal_year, 4, 1, tzinfo=JST), datetime(fiscal_year + 1, 4, 1, tzinfo=JST))


def month_periods(fiscal_year: int) -> list[tuple[str, Period]]:
    """The year's twelve months, April to March, each with its YYYY-MM."""
    months = [(fiscal_year + (m < 4), m) for m in (*range(4, 13), 1, 2, 3)]
    return [
        (f"{year}-{month:02d}", Period(datetime(year, month, 1, tzinfo=JST), _next_month(year, month)))
        for year, month in months
    ]


def _next_month(year: int, month: int) -> datetime:
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=JST)


# --- counting --------------------------------------------------------------------------------------------


def report(conn: psycopg.Connection, *, fiscal_year: int, now: datetime | None = None) -> KpiReport:
    """The year's figures and its monthly breakdown, counted as of now (injectable for tests)."""
    fiscal_year = check_fiscal_year(fiscal_year)
    now = now or datetime.now(JST)
    year = year_period(fiscal_year)
    months = month_periods(fiscal_year)
    periods = [year, *(period for _month, period in months)]
    counted = _count(conn, [p for p in periods if p.begun(now)], now)
    values = [counted.pop(0) if p.begun(now) else dict.fromkeys(FIGURE_KEYS) for p in periods]
    return KpiReport(
        fiscal_year=fiscal_year,
        first_day=year.start.date(),
        last_day=(year.end - timedelta(days=1)).date(),
        as_of=now,
        values=values[0],
        monthly=[
            MonthFigures(month, label, figures)
            for (month, _period), label, figures in zip(months, MONTH_LABELS, values[1:], strict=True)
        ],
    )


def _count(conn: psycopg.Connection, periods: list[Period], now: datetime) -> list[dict[str, Value]]:
    if not periods:
        return []
    params = {
        "from_at": [p.start for p in periods],
        "to_at": [p.cut(now) for p in periods],
        "day": [p.day(now) for p in periods],
        "now": now,
        "tz": TIME_ZONE,
    }
    rows = conn.execute(SQL.figures, params).fetchall()
    return [
        {key: _number(BY_KEY[key], cell) for key, cell in zip(FIGURE_KEYS, row[1:], strict=True)}
        for row in rows
    ]


def _number(figure: Figure, cell: Any) -> Value:
    if cell is None:
        return None
    return int(cell) if figure.kind == "count" else float(cell)


# --- targets ---------------------------------------------------------------------------------------------


def targets(conn: psycopg.Connection, *, fiscal_year: int) -> dict[str, Target]:
    """The targets set for a year, by figure key."""
    rows = conn.execute(SQL.targets, {"fiscal_year": fiscal_year}).fetchall()
    return {key: Target(key, float(value), set_by, set_at) for key, value, set_by, set_at in rows}


def parse_target(figure: Figure, text: str) -> Decimal | None:
    """A target as typed on the form (shares in %), in the unit stored (shares as 0..1); None when blank."""
    typed = unicodedata.normalize("NFKC", text).strip().replace(",", "").removesuffix("%").strip()
    typed = typed.removesuffix(figure.unit).strip() if figure.kind != "ratio" else typed
    if not typed:
        return None
    try:
        number = Decimal(typed)
    except InvalidOperation:
        raise Invalid(f"{figure.label}の目標は数字で入力してください", field=figure.key) from None
    if not number.is_finite() or number < 0:
        raise Invalid(f"{figure.label}の目標は0以上の数で入力してください", field=figure.key)
    if number > figure.target_limit:
        shown = f"{figure.target_limit}{figure.unit}"
        raise Invalid(f"{figure.label}の目標は {shown} までで入力してください", field=figure.key)
    if figure.kind == "count" and number != number.to_integral_value():
        raise Invalid(f"{figure.label}の目標は整数で入力してください", field=figure.key)
    if figure.kind == "ratio":
        return (number / 100).quantize(Decimal("0.0001"))
    return number.quantize(Decimal("0.1")) if figure.kind == "days" else number


def target_text(figure: Figure, value: float | None) -> str:
    """A stored target as the form shows it (shares in %), blank when none."""
    if value is None:
        return ""
    shown = Decimal(str(value)) * (100 if figure.kind == "ratio" else 1)
    return format(shown.normalize(), "f")


def set_targets(
    conn: psycopg.Connection,
    *,
    fiscal_year: int,
    typed: Mapping[str, str],
    actor: str,
    now: datetime | None = None,
) -> dict[str, Target]:
    """Sets the year's targets from the form (blank clears one); all or nothing, each change audited.

    Raises TargetsInvalid with a message per wrong figure, or Invalid for an unknown figure or year."""
    fiscal_year = check_fiscal_year(fiscal_year)
    unknown = sorted(set(typed) - set(FIGURE_KEYS))
    if unknown:
        raise Invalid(f"「{unknown[0]}」という指標はありません", field=unknown[0])
    wanted: dict[str, Decimal | None] = {}
    errors: dict[str, str] = {}
    for key, text in typed.items():
        try:
            wanted[key] = parse_target(BY_KEY[key], text)
        except Invalid as exc:
            errors[key] = exc.message
    if errors:
        raise TargetsInvalid(errors)
    with conn.transaction():
        for key, value in wanted.items():
            _store_target(conn, fiscal_year, key, value, actor, now or datetime.now(JST))
    return targets(conn, fiscal_year=fiscal_year)


def _store_target(
    conn: psycopg.Connection, fiscal_year: int, key: str, value: Decimal | None, actor: str, at: datetime
) -> None:
    params = {"fiscal_year": fiscal_year, "key": key, "target": value, "set_by": actor, "set_at": at}
    if value is None:
        row = conn.execute(SQL.clear_target, params).fetchone()
        before = row[0] if row else None
    else:
        row = conn.execute(SQL.set_target, params).fetchone()
        before = row[0] if row else None
    if before == value:
        return
    audit.record(
        conn,
        actor=actor,
        action="set_kpi_target",
        entity="kpi_target",
        entity_id=f"{fiscal_year}:{key}",
        before={"target": None if before is None else str(before)},
        after={"target": None if value is None else str(value)},
    )


def progress(figure: Figure, value: Value, target: Target | None) -> float | None:
    """実績 ÷ 目標 (目標 ÷ 実績 for days, where fewer is better); None when missing or undefined."""
    if value is None or target is None:
        return None
    if figure.lower_is_better:
        if value == 0:
            return 1.0
        return round(target.value / value, 3)
    return round(value / target.value, 3) if target.value else None


def lines(report: KpiReport, goals: Mapping[str, Target]) -> list[FigureLine]:
    """Each figure with its year's value, target, progress and months, in the table's order."""
    return [
        FigureLine(
            figure,
            report.values[figure.key],
            goals.get(figure.key),
            progress(figure, report.values[figure.key], goals.get(figure.key)),
            [month.values[figure.key] for month in report.monthly],
        )
        for figure in FIGURES
    ]


# --- showing ---------------------------------------------------------------------------------------------


def shown(figure: Figure, value: Value) -> str:
    """A value as a person reads it: 12人, 66.7%, 8.5日, or 「—」."""
    if value is None:
        return "—"
    if figure.kind == "ratio":
        return f"{100 * value:.1f}%"
    number = f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"
    return number + figure.unit


def shown_progress(value: float | None) -> str:
    """A progress ratio as a percentage, or 「—」."""
    return "—" if value is None else f"{100 * value:.1f}%"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(0, width - _width(text))
    return space + text if right else text + space


def text_table(report: KpiReport, goals: Mapping[str, Target]) -> list[str]:
    """The year's figures and its months as a plain Japanese table for a terminal."""
    rows = lines(report, goals)
    label_width = max(_width(line.figure.label) for line in rows) + 2
    title = f"{report.fiscal_year}年度（{report.first_day}〜{report.last_day}）の実績"
    out = [title + f"　{report.as_of.astimezone(JST):%Y-%m-%d %H:%M} 時点", ""]
    out.append(_pad("指標", label_width) + "".join(_pad(h, 10, True) for h in ("年度", "目標", "達成率")))
    for line in rows:
        target = shown(line.figure, line.target.value if line.target else None)
        cells = (shown(line.figure, line.value), target, shown_progress(line.progress))
        out.append(_pad(line.figure.label, label_width) + "".join(_pad(c, 10, True) for c in cells))
    out += ["", "月別"]
    out.append(_pad("指標", label_width) + "".join(_pad(m, 8, True) for m in MONTH_LABELS))
    for line in rows:
        out.append(
            _pad(line.figure.label, label_width)
            + "".join(_pad(shown(line.figure, v), 8, True) for v in line.monthly)
        )
    return out


# --- exports ---------------------------------------------------------------------------------------------

CSV_HEADER = ["年度", "指標", "キー", "単位", "年度の値", "目標", "達成率"]


def to_csv(report: KpiReport, goals: Mapping[str, Target]) -> str:
    """The year's figures, one row per figure with its months (shares as 0..1, blank when none)."""
    header = CSV_HEADER + [month.month for month in report.monthly]
    rows = [
        [
            report.fiscal_year,
            line.figure.label,
            line.figure.key,
            "割合" if line.figure.kind == "ratio" else line.figure.unit,
            _cell(line.value),
            _cell(_number(line.figure, line.target.value) if line.target else None),
            _cell(line.progress),
            *(_cell(v) for v in line.monthly),
        ]
        for line in lines(report, goals)
    ]
    return write_csv(header, rows)


def _cell(value: Value) -> Value | str:
    return "" if value is None else value


NUMBER_FORMATS: dict[Kind, str] = {"count": "#,##0", "days": "0.0", "ratio": "0.0%"}
HEADER_FILL = PatternFill("solid", start_color="1F6F8B")
HEADER_FONT = Font(bold=True, color="FFFFFF")
THIN = Side(style="thin", color="BCCCDC")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WORKBOOK_HEADER = ["指標", "キー", "年度の値", "目標", "達成率", *MONTH_LABELS]


def to_xlsx(report: KpiReport, goals: Mapping[str, Target]) -> bytes:
    """The report as an Excel workbook: 「実績」 (a row per figure, months as columns) and 「定義」."""
    book = Workbook()
    _figures_sheet(book.active, report, goals)
    _definitions_sheet(book.create_sheet("定義"))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _figures_sheet(sheet: Any, report: KpiReport, goals: Mapping[str, Target]) -> None:
    sheet.title = "実績"
    sheet["A1"] = f"参加支援事業 {report.fiscal_year}年度 実績（{report.first_day}〜{report.last_day}）"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = (
        f"{report.as_of.astimezone(JST):%Y-%m-%d %H:%M} 時点の集計。「—」は該当なし・まだ来ていない月。"
    )
    _header_row(sheet, 4, WORKBOOK_HEADER)
    for row, line in enumerate(lines(report, goals), start=5):
        number_format = NUMBER_FORMATS[line.figure.kind]
        target = _number(line.figure, line.target.value) if line.target else None
        cells = [line.figure.label, line.figure.key, line.value, target, line.progress, *line.monthly]
        for column, value in enumerate(cells, start=1):
            cell = sheet.cell(row=row, column=column, value="—" if value is None else safe_cell(value))
            cell.border = BOX
            if column >= 3:
                cell.alignment = Alignment(horizontal="right")
                cell.number_format = "0.0%" if column == 5 else number_format
    widths = [34, 30, 11, 11, 10, *([9] * 12)]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "C5"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _definitions_sheet(sheet: Any) -> None:
    _header_row(sheet, 1, ["指標", "キー", "定義"])
    rows = [(f.label, f.key, f.definition) for f in FIGURES] + [
        (name, "", text) for name, text in COMMON_RULES
    ]
    for row, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=safe_cell(value))
            cell.border = BOX
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for letter, width in zip("ABC", (34, 30, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"


def _header_row(sheet: Any, row: int, titles: list[str]) -> None:
    for column, title in enumerate(titles, start=1):
        cell = sheet.cell(row=row, column=column, value=title)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
