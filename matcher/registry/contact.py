"""A listing's contact details: the host organisation's business information, never a supported person's.

The PII guard (matcher.profiles.pii) is for text written about a person; these fields hold the
place's own phone, FAX, e-mail, web page and address, so they are checked for their form instead.
The role field names a post (サービス管理責任者, 受付), not a person.
"""

import re
import unicodedata
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field

from matcher.core.fields import clean_text, empty_to_none

CONTACT_FIELDS = ("contact_role", "phone", "fax", "email", "url", "address")
CONTACT_LABELS = {
    "contact_role": "担当（役職・部署）",
    "phone": "電話番号",
    "fax": "FAX番号",
    "email": "メールアドレス",
    "url": "ホームページ",
    "address": "所在地",
}
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−ーｰ", "-"))
_PHONE = re.compile(r"^\+?[0-9()\- ]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_phone(value: Any) -> Any:
    """A phone or FAX number in half-width digits with plain hyphens (「０８５２ー２１」 → 0852-21)."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value).translate(_DASHES)
    return re.sub(r"\s+", " ", text).strip().strip("\"'")


def _phone(value: str) -> str:
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.match(value) or not 6 <= digits <= 15:
        raise ValueError("電話番号は数字とハイフン（-）で書いてください（例: 0852-12-3456）")
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("メールアドレスの形になっていません（例: info@example.jp）")
    return value


def _url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        raise ValueError("ホームページは http:// か https:// で始まるアドレスを書いてください")
    return value


def _nfkc(value: Any) -> Any:
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


# Before validators run last-listed first: each value is cleaned, then empty means not given.
_EMPTY = BeforeValidator(empty_to_none)
Role = Annotated[Annotated[str, Field(max_length=100)] | None, _EMPTY, BeforeValidator(clean_text)]
Phone = Annotated[
    Annotated[str, Field(max_length=30), AfterValidator(_phone)] | None, _EMPTY, BeforeValidator(clean_phone)
]
Email = Annotated[
    Annotated[str, Field(max_length=254), AfterValidator(_email)] | None, _EMPTY, BeforeValidator(_nfkc)
]
Url = Annotated[
    Annotated[str, Field(max_length=500), AfterValidator(_url)] | None, _EMPTY, BeforeValidator(_nfkc)
]
Address = Annotated[Annotated[str, Field(max_length=300)] | None, _EMPTY, BeforeValidator(clean_text)]


def map_link(lat: float | None, lon: float | None) -> str | None:
    """A plain link to the place on OpenStreetMap (no embedded map), or None without coordinates."""
    if lat is None or lon is None:
        return None
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=16/{lat:.6f}/{lon:.6f}"


def phone_link(number: str) -> str:
    """The tel: target of a phone number (digits and a leading +)."""
    return "tel:" + re.sub(r"[^0-9+]", "", number)
