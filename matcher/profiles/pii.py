"""The PII guard: finds direct identifiers in a needs profile's free text.

Text is NFKC-normalised one character at a time, so full-width digits and symbols
match the same patterns as half-width ones while positions still point into the
original text.
"""

import re
import unicodedata
from dataclasses import dataclass

KIND_LABELS = {
    "phone": "電話番号",
    "email": "メールアドレス",
    "postal_code": "郵便番号",
    "address": "番地までの住所",
    "birth_date": "生年月日",
    "person_name": "敬称付きの氏名",
}

DASH = r"[-‐‑‒–—―−ー]"
SEP = r"[-‐‑‒–—―−ー\s]"
KANJI = r"\u4e00-\u9fff々〆ヶ"
KNUM = r"0-9十百"
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")

_PHONE = re.compile(
    rf"(?<![\d.])(?:\+81{SEP}?\d{{1,4}}|0\d{{1,4}}|\(0\d{{1,4}}\))(?:{SEP}|\)\s?)\d{{1,4}}{SEP}\d{{3,4}}(?![\d:])"
    rf"|(?<![\d.])0\d{{1,4}}\(\d{{1,4}}\)\d{{3,4}}(?!\d)"
    rf"|(?<![\d.])0[5789]0\d{{8}}(?!\d)"
    rf"|(?<![\d.])0\d{{9}}(?!\d)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_POSTAL = re.compile(
    rf"〒\s?\d{{3}}{DASH}?\d{{4}}"
    rf"|(?<![\d:.\-])\d{{3}}{DASH}\d{{4}}(?!{DASH}|[\d:]|[円人回時分年月日歳名件個点％%A-Za-z万割倍本枚])"
    rf"|郵便番号\D{{0,3}}\d{{3}}{DASH}?\d{{4}}"
)
_ADDRESS = re.compile(
    rf"[{KNUM}]+丁目\s?[{KNUM}]+(?:番地?|{DASH}|の)"
    rf"|[{KNUM}]+番地(?!味)"
    rf"|[{KNUM}]+番\s?[{KNUM}]+号"
    rf"|[{KANJI}](?:[{KNUM}]+丁目|[1-9]\d{{0,3}}){DASH}\d{{1,4}}{DASH}\d{{1,4}}(?![\d:])"
    rf"|(?:住所|住まい|自宅|在住)[はがの：:\s]*[^\s、。]{{0,12}}?[{KNUM}]+丁目"
    rf"|[{KNUM}]+丁目(?=[^、。]{{0,8}}(?:に住|在住|の自宅|のアパート|のマンション|の団地))"
)

_ERA = r"(?:明治|大正|昭和|平成|令和)\s?(?:\d{1,2}|元)"
_FULL_DATE = (
    rf"(?:(?:19|20)\d{{2}}|{_ERA}|[MTSHR]\s?\d{{1,2}})\s?[年./-]\s?\d{{1,2}}\s?[月./-]\s?\d{{1,2}}日?"
)
_YEAR = rf"(?:(?:19|20)\d{{2}}|{_ERA})年"
_MONTH_DAY = r"\d{1,2}月\s?\d{1,2}日"
_ANY_DATE = rf"(?:{_FULL_DATE}|{_YEAR}|{_MONTH_DAY})"
_BIRTH = re.compile(
    rf"{_ANY_DATE}\s?(?:生まれ|うまれ|誕生|生(?=[、。,.\s)）]|$|で|の|と))"
    rf"|(?:生年月日|誕生日|生まれ|出生日?)(?:は|が|の|：|:|\s|、|日付)*{_ANY_DATE}"
)

# Words that take an honorific but are roles, kin or places, not a person's name.
_ROLE_SUFFIXES = (
    "長 員 者 師 士 家 屋 手 主 官 医 母 父 兄 姉 弟 妹 娘 息子 孫 嫁 婿 夫 妻 方 "
    "人 様 神 仏 客 皆 隣 輩 仲間 常連 相手 同僚 上司 部下 担当 近所 地主 農家 大工 工 "
    "職人 坊 婆 爺 親 族 友 友達 先生 店 局 課 係 会 団 協 社 院 館 園 室 部 寺 宮 "
    "庁 署 校 奥 王 殿 赤 猫 犬 包括 民生 型 援 所 尚 児 叔 伯 業 屋敷 組 連 隊"
).split()
_KATAKANA_ROLES = (
    "ヘルパー スタッフ ボランティア サポーター パート ママ パパ オーナー マスター コーチ "
    "リーダー メンバー ケアマネ ケアマネージャー ワーカー カウンセラー トレーナー ドクター ナース "
    "シェフ ドライバー バイト インストラクター ファシリテーター コーディネーター マネージャー "
    "ゲスト ホスト ファン ペット センター ハローワーク サポステ ホーム クリニック グループ "
    "チーム ショップ カフェ ファーム ステーション サロン"
).split()
_HIRAGANA_WORDS = frozenset(
    (
        "みな みんな かあ とう ばあ じい にい ねえ あか ぼう じょう ねこ いぬ わん うさぎ "
        "こども まご むすめ むすこ よめ だんな となり きんじょ ともだち あり かみ ほとけ たく"
    ).split()
)
_NOT_AFTER = {"様": "同多模仕異一有両各如左斯", "君": "諸貴主暴名細父母夫"}
_HONORIFIC = re.compile(
    r"(さん|さま(?!ざ)|様(?![子々式相態])|氏(?![名子神族])|君(?![主臨子が])|くん(?![でだじ])|ちゃん(?!と)|殿(?![堂様]))"
)
_PARTICLES = "のはがとにもをやへで"


@dataclass(frozen=True)
class PiiFinding:
    """One identifier found: its kind, the text as written, and its 1-based position."""

    kind: str
    excerpt: str
    position: int

    def describe(self) -> str:
        """Japanese text such as 電話番号「090-1234-5678」（12文字目）."""
        return f"{KIND_LABELS[self.kind]}「{self.excerpt}」（{self.position}文字目）"


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC per character, with each normalised character's index in the original."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        norm = unicodedata.normalize("NFKC", ch)
        out.append(norm)
        origin.extend([i] * len(norm))
    return "".join(out), origin


def _name_before(norm: str, end: int, honorific: str) -> tuple[int, str] | None:
    """The name candidate ending at `end`, if the honorific there follows a person's name."""
    prefix = norm[:end]
    for pattern, check in (
        (rf"[{KANJI}]{{1,6}}$", _is_kanji_name),
        (r"[゠-ヿ・]{2,12}$", _is_katakana_name),
        (r"[A-Z][a-z]+$", lambda _n, _p, _h: True),
        (r"[ぁ-ゖ]{2,6}$", _is_hiragana_name),
    ):
        match = re.search(pattern, prefix)
        if match:
            name = match.group()
            start = match.start()
            if pattern.startswith("[ぁ") and name[0] in _PARTICLES and len(name) > 2:
                name, start = name[1:], start + 1
            return (start, name) if check(name, prefix[:start], honorific) else None
    return None


def _is_kanji_name(name: str, before: str, honorific: str) -> bool:
    if before.endswith(("お", "ご", "御")):
        return False
    if any(name.endswith(word) for word in _ROLE_SUFFIXES):
        return False
    return name[-1] not in _NOT_AFTER.get(honorific, "")


def _is_katakana_name(name: str, _before: str, _honorific: str) -> bool:
    return not any(name.endswith(word) for word in _KATAKANA_ROLES)


def _is_hiragana_name(name: str, before: str, honorific: str) -> bool:
    if honorific not in ("さん", "ちゃん", "くん", "さま") or name[0] in "おご":
        return False
    if before and "ぁ" <= before[-1] <= "ゖ" and before[-1] not in _PARTICLES:
        return False
    return name not in _HIRAGANA_WORDS and not any(name.endswith(w) for w in _HIRAGANA_WORDS)


def _names(norm: str) -> list[tuple[int, int]]:
    spans = []
    for match in _HONORIFIC.finditer(norm):
        found = _name_before(norm, match.start(), match.group())
        if found:
            spans.append((found[0], match.end()))
    return spans


_PATTERNS = (
    ("email", _EMAIL),
    ("phone", _PHONE),
    ("postal_code", _POSTAL),
    ("birth_date", _BIRTH),
    ("address", _ADDRESS),
)


def _spans(norm: str) -> list[tuple[int, int, str]]:
    """Candidate spans, most specific kind first (a phone number is not also a postal code)."""
    numeric = norm.translate(_KANJI_DIGITS)
    spans = [(m.start(), m.end(), kind) for kind, pattern in _PATTERNS for m in pattern.finditer(numeric)]
    return spans + [(start, end, "person_name") for start, end in _names(norm)]


def find_pii(text: str) -> list[PiiFinding]:
    """Every direct identifier in text, in order of position."""
    norm, origin = _normalise(text)
    taken: list[tuple[int, int, str]] = []
    for start, end, kind in _spans(norm):
        if not any(start < t_end and t_start < end for t_start, t_end, _ in taken):
            taken.append((start, end, kind))
    return [
        PiiFinding(kind, text[origin[start] : origin[end - 1] + 1], origin[start] + 1)
        for start, end, kind in sorted(taken)
    ]


def pii_error(text: str) -> str | None:
    """A Japanese message naming every identifier found, or None when the text is clean."""
    findings = find_pii(text)
    if not findings:
        return None
    found = "、".join(f.describe() for f in findings)
    return f"個人を特定できる情報は書けません: {found}"
