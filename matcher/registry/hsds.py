"""Open Referral HSDS 3 exchange: the registry as fully nested HSDS services, and back.

What HSDS has a place for goes there: name, description, status, ages, `assured_date`, the
area as a `service_area`, the map point as a `location`, weekly slots as iCal-style schedules
(`byday`, `opens_at`, `closes_at`), the programme as a `program`, Japanese as the language, an
`eligibility_description` in Japanese, the place's phone and FAX as the service's `phones` (type
`voice` / `fax`), its e-mail and web page as the service's `email` and `url`, and the contact's role
as a `contact` with only a `title` (never a person's name). What it lacks (HSDS 3.0 has no capacity
table either; its address needs a postal code and a state, which our one line of address lacks)
travels as `attribute` entries whose taxonomy terms come from our own taxonomy, TAXONOMY below,
so export → import → export gives the same document. Identifiers are UUIDv5 of our ids, stable
from one export to the next.
"""

import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from pydantic import ValidationError

from matcher.core.importing import ImportRejected, RowError, decode
from matcher.core.schedule import minutes
from matcher.core.validation import field_errors
from matcher.core.vocabulary import LABELS, Day, Kind, Programme, ResourceStatus
from matcher.matching.eligibility import RULES
from matcher.registry.model import Resource

SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "hsds-3" / "service.json"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/openreferral/specification#sanka-shien")
_NAMESPACE_BYTES = NAMESPACE.bytes
TAXONOMY = "sanka-shien-matching"
TAXONOMY_VERSION = "1"

# Our fields HSDS has no place for: term code → (Japanese name, Japanese description).
TERMS: dict[str, tuple[str, str]] = {
    "resource_id": ("社会資源コード", "参加支援マッチングでの社会資源の id"),
    "kind": ("場の種類", "cafe / farm / shop / workplace_b … （domain.md §3 の kind）"),
    "programme": ("既存事業コード", "shuro_b / shuro_junbi … （domain.md §5）。既存事業でなければ付けない"),
    "hosts_participation": ("参加支援の受け入れ", "既存事業所が参加支援の受け入れもするか（true / false）"),
    "contact_level": ("対人接触の程度", "1 一人作業中心 / 2 少人数 / 3 接客・大人数"),
    "physical_load": ("身体的負荷", "1 軽い / 2 普通 / 3 重い"),
    "reward": ("賃金・謝礼", "paid 賃金・工賃 / stipend 謝礼・活動費 / none 無償"),
    "trial": ("見学・体験", "見学・体験ができるか（true / false）"),
    "capacity_total": ("定員", "受け入れ可能な人数の上限（整数）。不明なら付けない"),
    "capacity_open": ("受け入れ可能数", "いま受け入れられる人数（整数）。不明なら付けない"),
    "accommodation": ("配慮", "short_hours / quiet_space … 1つの配慮に1つの属性"),
    # HSDS's address needs a postal code and a state, which a listing's one line of address lacks
    "address": ("所在地", "事業所の所在地（1行の住所）。HSDS の address に分けられないため属性で運びます"),
}
HSDS_STATUS = {
    ResourceStatus.active: "active",
    ResourceStatus.paused: "temporarily closed",
    ResourceStatus.closed: "inactive",
}
OUR_STATUS = {v: k for k, v in HSDS_STATUS.items()} | {"defunct": ResourceStatus.closed}
_CLOCK = re.compile(r"^\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(.*)$")
BYDAY = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}
OUR_DAY = {v: k for k, v in BYDAY.items()}
# Listings from HSDS data that is not ours lack these; the admin sees them as unconfirmed.
DEFAULTS = {"kind": Kind.other, "contact_level": 2, "physical_load": 2, "reward": "none"}


def _id(*parts: object) -> str:
    """str(uuid.uuid5(NAMESPACE, "a/b/c")), written out: a page of services needs thousands of these."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + "/".join(map(str, parts)).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


TAXONOMY_ID = _id("taxonomy", TAXONOMY)


def taxonomy() -> dict[str, Any]:
    """Our own taxonomy, whose terms name what HSDS has no place for."""
    return {
        "id": TAXONOMY_ID,
        "name": TAXONOMY,
        "description": "参加支援マッチングの社会資源の属性（HSDS に対応する項目がないもの）",
        "version": TAXONOMY_VERSION,
    }


@cache
def term_id(code: str) -> str:
    """The HSDS id of one of our taxonomy's terms."""
    return _id("term", TAXONOMY, code)


def taxonomy_term(code: str) -> dict[str, Any]:
    """One term of our taxonomy, as attributes carry it and the API serves it."""
    name, description = TERMS[code]
    return {
        "id": term_id(code),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": TAXONOMY,
        "taxonomy_detail": taxonomy(),
        "taxonomy_id": TAXONOMY_ID,
        "language": "ja",
    }


def _attribute(service_id: str, term: str, value: object) -> dict[str, Any]:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return {
        "id": _id(service_id, "attribute", term, text),
        "link_id": service_id,
        "link_type": "service_detail",
        "link_entity": "service",
        "value": text,
        "taxonomy_term": taxonomy_term(term),
    }


def _clock(value: str) -> str:
    return f"{value}:00"


def _schedules(service_id: str, resource: Resource) -> list[dict[str, Any]]:
    """One weekly schedule per distinct opening time, with the days it applies to."""
    by_time: dict[tuple[str, str], list[str]] = {}
    order = list(BYDAY)
    for slot in sorted(
        resource.schedule, key=lambda s: (minutes(s.start), minutes(s.end), order.index(s.day))
    ):
        days = by_time.setdefault((slot.start, slot.end), [])
        if slot.day not in days:
            days.append(slot.day)
    out = []
    for (start, end), days in by_time.items():
        label = "・".join(LABELS[Day][d] for d in days)
        out.append(
            {
                "id": _id(service_id, "schedule", start, end),
                "service_id": service_id,
                "freq": "WEEKLY",
                "wkst": "MO",
                "byday": ",".join(BYDAY[d] for d in days),
                "opens_at": _clock(start),
                "closes_at": _clock(end),
                "description": f"毎週{label}曜日 {start}–{end}",
            }
        )
    return out


def _contact(service_id: str, resource: Resource) -> dict[str, Any]:
    """The service's url, email, phones (voice and fax) and contact role, those the listing has."""
    out: dict[str, Any] = {}
    if resource.url:
        out["url"] = resource.url
    if resource.email:
        out["email"] = resource.email
    phones = [(kind, number) for kind, number in (("voice", resource.phone), ("fax", resource.fax)) if number]
    if phones:
        out["phones"] = [
            {"id": _id(service_id, "phone", kind), "service_id": service_id, "number": number, "type": kind}
            for kind, number in phones
        ]
    if resource.contact_role:
        out["contacts"] = [
            {"id": _id(service_id, "contact"), "service_id": service_id, "title": resource.contact_role}
        ]
    return out


def _phone_of(service: dict[str, Any], fax: bool) -> str | None:
    for phone in service.get("phones") or []:
        if (str(phone.get("type") or "voice").lower() == "fax") == fax and phone.get("number"):
            return str(phone["number"])
    return None


def _role_of(service: dict[str, Any]) -> str | None:
    for contact in service.get("contacts") or []:
        if contact.get("title") or contact.get("department"):
            return str(contact.get("title") or contact["department"])
    return None


def _address_of(service: dict[str, Any], written: str | None) -> str | None:
    """Our one line of address: the attribute we wrote, else the first postal address of a location."""
    if written:
        return written
    for sal in service.get("service_at_locations") or []:
        for address in (sal.get("location") or {}).get("addresses") or []:
            parts = ("state_province", "city", "address_1", "address_2")
            line = " ".join(str(address[p]) for p in parts if address.get(p))
            if line:
                return line
    return None


def contact_fields(service: dict[str, Any], written_address: str | None) -> dict[str, Any]:
    """Our contact fields from an HSDS service (a contact's name, if any, is not kept)."""
    return {
        "contact_role": _role_of(service),
        "phone": _phone_of(service, fax=False),
        "fax": _phone_of(service, fax=True),
        "email": service.get("email"),
        "url": service.get("url"),
        "address": _address_of(service, written_address),
    }


def eligibility_text(resource: Resource) -> str:
    """Who may take part, in Japanese: the programme's requirement and the ages."""
    parts = []
    if resource.programme:
        rule = RULES[Programme(resource.programme)]
        parts.append(f"{LABELS[Programme][resource.programme]}の対象要件：{rule.describe()}")
    if resource.min_age is not None or resource.max_age is not None:
        low = f"{resource.min_age}歳" if resource.min_age is not None else ""
        high = f"{resource.max_age}歳" if resource.max_age is not None else ""
        parts.append(f"年齢 {low}〜{high}")
    return "。".join(parts) or "どなたでも参加できます"


def to_service(resource: Resource) -> dict[str, Any]:
    """One listing as a fully nested HSDS 3 service."""
    sid = service_id(resource.id)
    org_id = _id("organization", resource.id)
    kind = LABELS[Kind][resource.kind]
    service: dict[str, Any] = {
        "id": sid,
        "organization_id": org_id,
        "name": resource.name,
        "description": resource.description,
        "status": HSDS_STATUS[resource.status],
        "eligibility_description": eligibility_text(resource),
    }
    if resource.trial:
        service["application_process"] = "見学・体験ができます。コーディネーターを通じて申し込みます。"
    if resource.min_age is not None:
        service["minimum_age"] = resource.min_age
    if resource.max_age is not None:
        service["maximum_age"] = resource.max_age
    if resource.assured_at is not None:
        service["assured_date"] = resource.assured_at.isoformat()
    service["organization"] = {
        "id": org_id,
        "name": resource.name,
        "description": f"{kind}「{resource.name}」（{resource.area}）",
    }
    service |= _contact(sid, resource)
    if resource.programme:
        pid = _id("program", resource.programme)
        service["program_id"] = pid
        service["program"] = {
            "id": pid,
            "name": LABELS[Programme][resource.programme],
            "description": f"既存事業：{LABELS[Programme][resource.programme]}",
        }
    service["schedules"] = _schedules(sid, resource)
    service["service_areas"] = [
        {
            "id": _id(sid, "area", resource.area),
            "service_id": sid,
            "name": resource.area,
            "extent_type": "text",
        }
    ]
    if resource.lat is not None and resource.lon is not None:
        location_id = _id("location", resource.id)
        service["service_at_locations"] = [
            {
                "id": _id("service_at_location", resource.id),
                "service_id": sid,
                "location_id": location_id,
                "location": {
                    "id": location_id,
                    "location_type": "physical",
                    "name": resource.name,
                    "latitude": resource.lat,
                    "longitude": resource.lon,
                },
            }
        ]
    service["languages"] = [
        {"id": _id(sid, "language", "ja"), "service_id": sid, "name": "日本語", "code": "ja"}
    ]
    values: list[tuple[str, object]] = [("resource_id", resource.id), ("kind", resource.kind.value)]
    if resource.programme:
        values.append(("programme", resource.programme.value))
    values += [
        ("hosts_participation", resource.hosts_participation),
        ("contact_level", resource.contact_level),
        ("physical_load", resource.physical_load),
        ("reward", resource.reward.value),
        ("trial", resource.trial),
    ]
    if resource.capacity_total is not None:
        values.append(("capacity_total", resource.capacity_total))
    if resource.capacity_open is not None:
        values.append(("capacity_open", resource.capacity_open))
    values += [("accommodation", a.value) for a in resource.accommodations]
    if resource.address:
        values.append(("address", resource.address))
    service["attributes"] = [_attribute(sid, term, value) for term, value in values]
    return service


def to_services(resources: Iterable[Resource]) -> list[dict[str, Any]]:
    """The registry as a list of HSDS services, in the order given."""
    return [to_service(r) for r in resources]


def service_id(resource_id: str) -> str:
    """The HSDS service id of one of our listings."""
    return _id("service", resource_id)


def _strict(node: Any) -> Any:
    """The schema with additional properties false on every object, as the specification checks."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if out.get("type") == "object" or "properties" in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


@cache
def validator(strict: bool = True) -> jsonschema.protocols.Validator:
    """A validator of one service against the official compiled schema."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    if strict:
        schema = _strict(schema)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(service: Any, *, strict: bool = True) -> list[str]:
    """Every way a service breaks the HSDS schema, as 'path: message' lines."""
    errors = sorted(validator(strict).iter_errors(service), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_where(e.json_path)}: {e.message}" for e in errors]


def _where(json_path: str) -> str:
    return "（サービス全体）" if json_path == "$" else json_path.removeprefix("$.")


def _attributes(service: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for attribute in service.get("attributes") or []:
        term = attribute.get("taxonomy_term") or {}
        if term.get("taxonomy") == TAXONOMY and term.get("code") in TERMS:
            found.setdefault(term["code"], []).append(str(attribute.get("value", "")))
    return found


def schedule_problems(service: dict[str, Any]) -> list[str]:
    """Schedules our weekly slots cannot hold faithfully: not weekly, '1MO'-style days, other time zones."""
    problems = []
    for n, schedule in enumerate(service.get("schedules") or [], start=1):
        if not schedule.get("byday"):
            continue
        where = f"schedules[{n}]"
        if str(schedule.get("freq") or "WEEKLY").upper() != "WEEKLY":
            problems.append(f"{where}.freq: 毎週の予定（WEEKLY）だけを読めます（{schedule.get('freq')!r}）")
        for code in str(schedule["byday"]).split(","):
            if code.strip().upper() not in OUR_DAY:
                problems.append(f"{where}.byday: 曜日は MO〜SU で書いてください（{code.strip()!r}）")
        for key in ("opens_at", "closes_at"):
            value = str(schedule.get(key) or "")
            found = _CLOCK.match(value)
            zone = found[1] if found else ""
            if zone and zone not in ("+09:00", "+0900"):
                problems.append(f"{where}.{key}: 日本時間でない時刻は読めません（{value!r}）")
    return problems


def _slots(service: dict[str, Any]) -> list[dict[str, str]]:
    slots = []
    for schedule in service.get("schedules") or []:
        opens, closes = schedule.get("opens_at"), schedule.get("closes_at")
        if not schedule.get("byday") or not opens or not closes:
            continue
        for code in str(schedule["byday"]).split(","):
            day = OUR_DAY.get(code.strip().upper(), code)
            slots.append({"day": day, "start": str(opens)[:5], "end": str(closes)[:5]})
    order = list(BYDAY)
    return sorted(slots, key=lambda s: (order.index(s["day"]) if s["day"] in order else 99, s["start"]))


def _area(service: dict[str, Any]) -> str | None:
    for area in service.get("service_areas") or []:
        if area.get("name"):
            return str(area["name"])
    for sal in service.get("service_at_locations") or []:
        for address in (sal.get("location") or {}).get("addresses") or []:
            if address.get("city"):
                return str(address["city"])
    return None


def from_service(service: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Our listing's fields from one HSDS service, and the names of the fields that took defaults."""
    attrs = _attributes(service)

    def one(term: str) -> str | None:
        return attrs[term][0] if term in attrs else None

    record: dict[str, Any] = {
        "id": one("resource_id") or f"hsds-{service.get('id')}",
        "name": service.get("name"),
        "description": service.get("description") or "",
        "status": OUR_STATUS.get(str(service.get("status")), service.get("status")),
        "area": _area(service),
        "schedule": _slots(service),
        "min_age": service.get("minimum_age"),
        "max_age": service.get("maximum_age"),
        "assured_at": service.get("assured_date"),
        "accommodations": attrs.get("accommodation", []),
    }
    record |= contact_fields(service, one("address"))
    for sal in service.get("service_at_locations") or []:
        location = sal.get("location") or {}
        if location.get("latitude") is not None and location.get("longitude") is not None:
            record["lat"], record["lon"] = location["latitude"], location["longitude"]
            break
    for term in (
        "kind",
        "programme",
        "hosts_participation",
        "contact_level",
        "physical_load",
        "reward",
        "trial",
    ):
        if one(term) is not None:
            record[term] = one(term)
    for term in ("capacity_total", "capacity_open"):
        record[term] = one(term)
    defaulted = [name for name, value in DEFAULTS.items() if name not in record]
    for name in defaulted:
        record[name] = DEFAULTS[name]
    return record, defaulted


# How deep arrays and objects may nest: an HSDS service needs a handful of levels; a file nested
# deeper is refused before it is parsed (deep enough nesting would exhaust Python's recursion).
MAX_NESTING = 64
DEEP = (
    f"JSON の入れ子（配列・オブジェクトの中の配列・オブジェクト）が深すぎます（{MAX_NESTING}段まで）。"
    "HSDS のサービスとして読めません"
)
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def nesting_too_deep(text: str, limit: int = MAX_NESTING) -> int | None:
    """The line where the JSON text nests arrays and objects deeper than limit, or None (read without
    recursion, strings skipped)."""
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, token.start()) + 1
        elif bracket in "]}":
            depth -= 1
    return None


def parse_services(data: bytes, filename: str) -> tuple[list[Resource], int]:
    """Our listings from an HSDS file (a list of services, one service, or an API page of them).

    Every service is checked against the HSDS schema and then against our own rules; every
    problem is reported, numbered by the service's position, and nothing is returned if any.
    Returns the listings and how many of them took default values for fields HSDS lacks.
    """
    text = decode(data, filename)
    too_deep = nesting_too_deep(text)
    if too_deep is not None:
        raise ImportRejected(filename, [RowError(too_deep, "", DEEP)])
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected(
            filename, [RowError(exc.lineno, "", f"JSON として読めません（{exc.msg}）")]
        ) from None
    except RecursionError:
        raise ImportRejected(filename, [RowError(0, "", DEEP)]) from None
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        document = document["contents"]
    services = document if isinstance(document, list) else [document]
    errors: list[RowError] = []
    resources: list[Resource] = []
    defaulted = 0
    seen: dict[str, int] = {}
    for n, service in enumerate(services, start=1):
        where = f"{n}件目のサービス"
        if not isinstance(service, dict):
            errors.append(RowError(0, where, "HSDS のサービス（JSON オブジェクト）ではありません"))
            continue
        if service.get("name"):
            where += f"（{service['name']}）"
        problems = schema_errors(service, strict=False)
        if problems:
            errors += [RowError(0, where, f"HSDS の形式に合いません：{p}") for p in problems]
            continue
        problems = schedule_problems(service)
        if problems:
            errors += [RowError(0, where, p) for p in problems]
            continue
        record, filled = from_service(service)
        try:
            resource = Resource.model_validate(record)
        except ValidationError as exc:
            errors += [RowError(0, f"{where}.{e.field}", e.message) for e in field_errors(exc)]
            continue
        if resource.id in seen:
            errors.append(
                RowError(0, where, f"社会資源コード {resource.id} が{seen[resource.id]}件目と重複しています")
            )
            continue
        seen[resource.id] = n
        resources.append(resource)
        defaulted += bool(filled)
    if errors:
        raise ImportRejected(filename, errors)
    return resources, defaulted
