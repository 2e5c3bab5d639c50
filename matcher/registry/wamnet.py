"""WAM NET open data (障害福祉サービス等情報公表システム) as programme listings.

Each row either becomes a listing or is counted under the reason it was skipped.
Fields the open data lacks are set to documented assumptions: contact_level 2 and
physical_load 2 (typical of these services), trial false (not stated), reward by
service (A型 wages; 就労移行 and 生活訓練 none), assured_at the data's own date.
The place's own 電話番号, FAX番号 and address are kept as its contact details, and its URL (the
法人's when the place has none); a number or URL that cannot be read is left out and counted.
"""

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from pydantic import TypeAdapter, ValidationError

from matcher.core.importing import ImportRejected, RowError, decode
from matcher.core.schedule import DAY_ORDER
from matcher.core.validation import field_errors
from matcher.core.vocabulary import Kind, Programme, Reward
from matcher.registry.contact import Phone, Url
from matcher.registry.model import Resource

COLUMNS = [
    "都道府県コード又は市区町村コード", "NO（※システム内の固有の番号、連番）", "指定機関名",
    "法人の名称", "法人の名称_かな", "法人番号", "法人住所（市区町村）", "法人住所（番地以降）",
    "法人電話番号", "法人FAX番号", "法人URL", "サービス種別", "事業所の名称", "事業所の名称_かな",
    "事業所番号", "事業所住所（市区町村）", "事業所住所（番地以降）", "事業所電話番号",
    "事業所FAX番号", "事業所URL", "事業所緯度", "事業所経度", "利用可能な時間帯（平日）",
    "利用可能な時間帯（土曜）", "利用可能な時間帯（日曜）", "利用可能な時間帯（祝日）",
    "定休日", "利用可能曜日特記事項（留意事項）", "定員",
]  # fmt: skip
DATA_DATE = date(2025, 3, 31)


class Service(NamedTuple):
    """How one サービス種別 maps onto the registry."""

    kind: Kind
    programme: Programme
    reward: Reward


SERVICES = {
    "就労継続支援A型": Service(Kind.workplace_a, Programme.shuro_a, Reward.paid),
    "就労継続支援B型": Service(Kind.workplace_b, Programme.shuro_b, Reward.paid),
    "就労移行支援": Service(Kind.transition, Programme.shuro_iko, Reward.none),
    "自立訓練(生活訓練)": Service(Kind.life_training, Programme.seikatsu_kunren, Reward.none),
}
NOT_PLACEMENTS = {"就労定着支援": "就労定着支援は配置先ではないため対象外"}

_HOURS = re.compile(r"^(\d{1,2}:\d{2})\s*[-~]\s*(\d{1,2}:\d{2})$")
_DAY_CHARS = dict(zip("月火水木金土日", DAY_ORDER, strict=True))
_CLOSED_DAY = re.compile(
    r"(?:(?<=^)|(?<=[、・,/\s(（毎週及とび※*＊の])|(?<=土(?=日)))([月火水木金土日])(?=曜|[、・,/\s)）祝及と]|$|日(?<=土日))"
)
_PREFECTURE = re.compile(r"^(?:東京都|北海道|京都府|大阪府|.{2,3}県)")


@dataclass
class WamnetReport:
    """What happened to every row of a WAM NET file."""

    rows: int = 0
    resources: list[Resource] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        """The summary in Japanese, accounting for every row."""
        out = [f"行数 {self.rows}: 取り込み {len(self.resources)}件、対象外 {sum(self.skipped.values())}件"]
        out += [f"  対象外: {reason} {count}件" for reason, count in self.skipped.most_common()]
        out += [f"  注記（取り込み済み）: {note} {count}件" for note, count in self.notes.most_common()]
        return out


def nfkc(value: str) -> str:
    """Full-width letters, digits and spaces folded, runs of space collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip()


def parse_hours(value: str) -> tuple[str, str] | None:
    """('09:00', '17:00') from '09:00-17:00'; None when empty, '00:00-00:00' or unreadable."""
    match = _HOURS.match(nfkc(value))
    if not match:
        return None
    start, end = (t.zfill(5) for t in match.groups())
    return (start, end) if start < end and end <= "24:00" else None


def closed_days(value: str) -> set[str]:
    """Weekdays named as regular closing days in 定休日 (「土日祝」「水曜日」「土・日・祝日」)."""
    return {_DAY_CHARS[m] for m in _CLOSED_DAY.findall(nfkc(value))}


def schedule_of(row: dict[str, str]) -> list[dict[str, str]]:
    """Weekly slots from the hours columns, without the regular closing days."""
    hours = {
        "weekday": parse_hours(row["利用可能な時間帯（平日）"]),
        "sat": parse_hours(row["利用可能な時間帯（土曜）"]),
        "sun": parse_hours(row["利用可能な時間帯（日曜）"]),
    }
    closed = closed_days(row["定休日"])
    slots = []
    for day in DAY_ORDER:
        slot = hours[day] if day in ("sat", "sun") else hours["weekday"]
        if slot and day not in closed:
            slots.append({"day": day, "start": slot[0], "end": slot[1]})
    return slots


def _number(value: str) -> float | None:
    try:
        return float(nfkc(value))
    except ValueError:
        return None


def _capacity(value: str, notes: Counter[str]) -> int | None:
    text = nfkc(value)
    if not text:
        notes["定員が空欄（不明として登録）"] += 1
        return None
    if not text.isdigit():
        notes[f"定員が読めない（不明として登録）: {text}"] += 1
        return None
    return int(text)


def _description(row: dict[str, str], service: str) -> str:
    parts = [f"{service}の事業所です（運営: {nfkc(row['法人の名称'])}）。"]
    if nfkc(row["定休日"]):
        parts.append(f"定休日: {nfkc(row['定休日'])}。")
    if nfkc(row["利用可能曜日特記事項（留意事項）"]):
        parts.append(f"留意事項: {nfkc(row['利用可能曜日特記事項（留意事項）'])}")
    return "".join(parts)


def _location(row: dict[str, str], notes: Counter[str]) -> tuple[float | None, float | None]:
    lat, lon = _number(row["事業所緯度"]), _number(row["事業所経度"])
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat, lon) == (0, 0):
        notes["緯度経度がない（距離は不明）"] += 1
        return None, None
    return lat, lon


_PHONE: TypeAdapter[str | None] = TypeAdapter(Phone)
_URL: TypeAdapter[str | None] = TypeAdapter(Url)


def _phone(value: str, what: str, notes: Counter[str]) -> str | None:
    if not any(c.isdigit() for c in nfkc(value)):
        return None  # empty, or a dash for none
    try:
        return _PHONE.validate_python(value)
    except ValidationError:
        notes[f"{what}が読めない（登録せず）: {nfkc(value)}"] += 1
        return None


def web_address(value: str) -> str:
    """A URL as written, with stray spaces removed (「https:// a.jp/」); the first of two written twice."""
    parts = nfkc(value).split()
    linked = [p for p in parts if re.match(r"(?i)^https?://.", p)]
    return linked[0] if len(linked) > 1 else "".join(parts)


def _url(row: dict[str, str], notes: Counter[str]) -> str | None:
    written = web_address(row["事業所URL"]) or web_address(row["法人URL"])
    try:
        return _URL.validate_python(written)
    except ValidationError:
        notes[f"URLが読めない（登録せず）: {written}"] += 1
        return None


def contact_of(row: dict[str, str], notes: Counter[str]) -> dict[str, str | None]:
    """The place's phone, FAX, web page and address."""
    address = nfkc(row["事業所住所（市区町村）"]) + nfkc(row["事業所住所（番地以降）"])
    return {
        "phone": _phone(row["事業所電話番号"], "電話番号", notes),
        "fax": _phone(row["事業所FAX番号"], "FAX番号", notes),
        "url": _url(row, notes),
        "address": address or None,
    }


def to_resource(row: dict[str, str], service_name: str, notes: Counter[str]) -> Resource:
    """One row as a programme listing (raises ValidationError on what the model refuses)."""
    service = SERVICES[service_name]
    lat, lon = _location(row, notes)
    schedule = schedule_of(row)
    if not schedule:
        notes["利用可能な時間帯の記載なし（活動日時は不明）"] += 1
    return Resource.model_validate(
        {
            "id": f"wam-{nfkc(row['NO（※システム内の固有の番号、連番）'])}",
            "name": nfkc(row["事業所の名称"]),
            "kind": service.kind,
            "programme": service.programme,
            "hosts_participation": False,
            "description": _description(row, service_name),
            "area": _PREFECTURE.sub("", nfkc(row["事業所住所（市区町村）"])) or nfkc(row["指定機関名"]),
            "lat": lat,
            "lon": lon,
            "schedule": schedule,
            "capacity_total": _capacity(row["定員"], notes),
            "capacity_open": None,
            "contact_level": 2,
            "physical_load": 2,
            "reward": service.reward,
            "trial": False,
            "status": "active",
            "assured_at": DATA_DATE,
        }
        | contact_of(row, notes)
    )


def city_matches(row: dict[str, str], city: str | None) -> bool:
    """True when row belongs to city: a 5- or 6-digit code of the designating authority, or a name."""
    if not city:
        return True
    if city.isdigit():
        return row["都道府県コード又は市区町村コード"].strip() == city[:5]
    return city in nfkc(row["事業所住所（市区町村）"]) or city == nfkc(row["指定機関名"])


def _skip_reason(row: dict[str, str], service: str, seen: set[str]) -> str | None:
    number = nfkc(row["NO（※システム内の固有の番号、連番）"])
    if service in NOT_PLACEMENTS:
        return NOT_PLACEMENTS[service]
    if service not in SERVICES:
        return f"未対応のサービス種別「{service or '空欄'}」"
    if not number:
        return "NO が空欄"
    if number in seen:
        return "NO の重複"
    if not nfkc(row["事業所の名称"]):
        return "事業所の名称が空欄"
    return None


def read_rows(data: bytes, filename: str) -> list[tuple[int, dict[str, str]]]:
    """The file's rows with their line numbers; a wrong header rejects the file."""
    reader = csv.reader(io.StringIO(decode(data, filename), newline=""))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ImportRejected(
            filename,
            [
                RowError(1, c, "WAM NET の列がありません（WAM NET オープンデータのCSVか確かめてください）")
                for c in missing
            ],
        )
    rows = []
    line = reader.line_num + 1
    for cells in reader:
        if any(cells):
            rows.append((line, dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False))))
        line = reader.line_num + 1
    return rows


def convert(data: bytes, filename: str, *, city: str | None = None) -> WamnetReport:
    """Every row of a WAM NET CSV either converted or counted under its reason."""
    report = WamnetReport()
    seen: set[str] = set()
    for _line, row in read_rows(data, filename):
        report.rows += 1
        service = nfkc(row["サービス種別"])
        reason = "指定の市区町村ではない" if not city_matches(row, city) else _skip_reason(row, service, seen)
        if reason:
            report.skipped[reason] += 1
            continue
        notes: Counter[str] = Counter()
        try:
            resource = to_resource(row, service, notes)
        except ValidationError as exc:
            first = field_errors(exc)[0]
            report.skipped[f"値が不正（{first.field}: {first.message}）"] += 1
            continue
        seen.add(nfkc(row["NO（※システム内の固有の番号、連番）"]))
        report.notes.update(notes)
        report.resources.append(resource)
    return report
