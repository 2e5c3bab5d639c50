"""The PII guard: finds direct identifiers in free text written about a person.

The text is first normalised, keeping for every character its position in the original:
NFKC (full-width digits and symbols become half-width), invisible characters (zero-width
spaces, joiners, BOM, soft hyphens) are dropped, kanji numerals become digits (〇九〇 → 090,
十二 → 12) and the separators inside number runs are unified (090.1234.5678 and
090 - 1234 - 5678 both read 090-1234-5678).

Numbers, e-mail addresses, postal codes, addresses, birth dates, マイナンバー, LINE IDs,
insurance/pension/case numbers and room numbers are found by patterns over that text.
Person names are found with SudachiPy (sudachidict-core) by part of speech: a word tagged
名詞-固有名詞-人名 (or an unknown word) next to an honorific (さん・様・氏・君・くん・ちゃん…),
a family name followed by a given name even without one, and romanised names (Tanaka-san).
Role words (主任さん・訪問看護さん), kinship words (お母さん) and the 「Aさん」 style of
anonymisation are ordinary nouns to Sudachi and pass.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from matcher.core.fields import bounded_text
from matcher.core.japanese import tokenizer
from matcher.errors import Invalid

KIND_LABELS = {
    "phone": "電話番号",
    "email": "メールアドレス",
    "postal_code": "郵便番号",
    "address": "番地までの住所",
    "birth_date": "生年月日",
    "person_name": "敬称付きの氏名",
    "full_name": "氏名",
    "my_number": "マイナンバー",
    "line_id": "LINEなどのID",
    "id_number": "保険証・年金・ケースなどの番号",
    "room": "部屋番号",
}

SEP = r"[-\s]"
KANJI = r"\u4e00-\u9fff々〆ヶ"
_NOT_COUNT = r"[\d:円人回時分秒年月日歳才名件個点％%万割倍本枚km]"

_PHONE = re.compile(
    rf"(?<![\d.])(?:\+81{SEP}?\d{{1,4}}|0\d{{1,4}}|\(0\d{{1,4}}\))(?:{SEP}|\)\s?)\d{{1,4}}{SEP}\d{{3,4}}(?![\d:])"
    rf"|(?<![\d.])0\d{{1,4}}\(\d{{1,4}}\)\d{{3,4}}(?!\d)"
    rf"|(?<![\d.])0[5789]0\d{{8}}(?!\d)"
    rf"|(?<![\d.])0\d{{9}}(?!\d)"
)
_AT = r"(?:\s?@\s?|\s?\(at\)\s?|\s?\[at\]\s?|\s?<at>\s?|\s?アットマーク\s?|\s?あっとまーく\s?)"
_DOT = r"(?:\.|\s?\(dot\)\s?|\s?\[dot\]\s?|ドット)"
_EMAIL = re.compile(rf"[A-Za-z0-9._%+-]+{_AT}[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)+", re.IGNORECASE)
_POSTAL = re.compile(
    rf"〒\s?\d{{3}}-?\d{{4}}"
    rf"|(?<![\d:.\-])\d{{3}}-\d{{4}}(?!-|{_NOT_COUNT}|[A-Za-z])"
    rf"|郵便番号\D{{0,3}}\d{{3}}-?\d{{4}}"
)
# A place: a word ending like a Japanese town name, written right before the block numbers.
_PLACE_END = (
    r"(?:町|村|字|丁目|台|丘|ヶ丘|が丘|坂|通り?|条|区|郡|市|島|浜|原|野|沢|谷|山|川|田|橋|崎|岡|森|林|里"
    r"|南|北|東|西|中央|本町|新町|団地)"
)
_ADDRESS = re.compile(
    rf"\d+丁目\s?\d+(?:番地?|-|の)"
    rf"|\d+番地(?!味)"
    rf"|\d+番\s?\d+号"
    rf"|[{KANJI}](?:\d+丁目|[1-9]\d{{0,3}})(?:-|の)\d{{1,4}}(?:-|の)\d{{1,4}}(?![\d:])"
    rf"|{_PLACE_END}[1-9]\d{{0,4}}(?:-|の)\d{{1,4}}(?!-?{_NOT_COUNT}|-)"
    rf"|(?:住所|住まい|自宅|在住)[はがの：:\s]*[^\s、。]{{0,12}}?\d+丁目"
    rf"|\d+丁目(?=[^、。]{{0,8}}(?:に住|在住|の自宅|のアパート|のマンション|の団地))"
)
# Words before block numbers that make them anything but an address (作業手順1-2-3).
_NOT_PLACE = re.compile(
    r"(?:順|番号?|第|号|章|節|項|問|図|表|版|級|段|期|班|組|回|始|開始|了|日|年|月|型|式|No|NO)$"
)

_ERA = r"(?:明治|大正|昭和|平成|令和)\s?(?:\d{1,2}|元)"
_FULL_DATE = rf"(?:(?:19|20)\d{{2}}|{_ERA}|[MTSHR]\s?\d{{1,2}})\s?[年/-]\s?\d{{1,2}}\s?[月/-]\s?\d{{1,2}}日?"
_YEAR = rf"(?:(?:19|20)\d{{2}}|{_ERA})年"
_MONTH_DAY = r"\d{1,2}月\s?\d{1,2}日"
_ANY_DATE = rf"(?:{_FULL_DATE}|{_YEAR}|{_MONTH_DAY})"
_BIRTH = re.compile(
    rf"{_ANY_DATE}\s?(?:に|の|で)?\s?(?:生まれ|うまれ|産まれ|誕生(?!日会)|出生|生(?=[、。,.\s)）]|$|で|の|と))"
    rf"|{_MONTH_DAY}\s?(?:が|は|の)?\s?(?:誕生日|お誕生日|バースデー)(?![会パケプ])"
    rf"|(?:生年月日|誕生日|生まれ|出生日?)(?:は|が|の|：|:|\s|、|日付)*{_ANY_DATE}"
)
_MY_NUMBER = re.compile(r"(?<![\d-])\d{4}[-\s]?\d{4}[-\s]?\d{4}(?![\d-])")
_LINE_ID = re.compile(
    r"(?:LINE|ライン|ﾗｲﾝ)\s?(?:の)?\s?(?:ID|アカウント|ｱｶｳﾝﾄ)?\s?(?:は|が|を|も|:|：)?\s?[「(]?@[A-Za-z0-9._-]{3,20}"
    r"|(?:LINE|ライン)\s?(?:の)?\s?(?:ID|アカウント)\s?(?:は|が|を|も|:)?\s?[「(]?@?[A-Za-z0-9._-]{4,20}"
    r"|(?<![A-Za-z])ID\s?(?:は|:)\s?[「(]?@?[A-Za-z][A-Za-z0-9._-]{3,19}",
    re.IGNORECASE,
)
_ID_NUMBER = re.compile(
    r"(?:保険証|被保険者|保険者|年金|ケース|受給者|手帳|記号|通帳|口座|カルテ|診察券|免許証?|利用者番号|管理番号)"
    rf"[^\d。、\n〒]{{0,12}}?[A-Za-z]?\d[\d-]{{3,}}(?!{_NOT_COUNT})"
)
_ROOM = re.compile(
    r"\d{1,5}\s?号室|\d{1,4}\s?号棟\s?\d{1,4}|(?<!\d)[A-Za-z]?\d{3,4}\s?号(?![線車機館艇])(?=[\s、。)）にでの]|$)"
)

_HONORIFICS = frozenset(
    "さん さま 様 氏 君 くん ちゃん 殿 サン サマ クン チャン たん ちゃま 先生 せんせい センセイ".split()
)
_LATIN_NAME = re.compile(
    r"(?<![A-Za-z])([A-Z][A-Za-z]{1,20})\s?(?:-\s?(?:san|sama|kun|chan|sensei|shi)|\s(?:san|sama|kun|chan|sensei))(?![A-Za-z])",
    re.IGNORECASE,
)
# Sudachi tags these as names, but here they are characters or roles.
_NOT_NAMES = frozenset(
    """キティ まる子 ちびまる子 ドラえもん のび太 アンパンマン サザエ カツオ ワカメ タラ ピカチュウ
    サンタ ミッキー ミニー プーさん くまモン しまじろう ハム太郎 トトロ 健師 漱石 啄木 賢治
    信長 家康 秀吉 龍馬 ひばり 大家 八百屋""".split()
)
# Words that take an honorific but are roles, kin or places, not a person's name (hiragana).
_HIRAGANA_WORDS = frozenset(
    (
        "みな みんな かあ とう ばあ じい にい ねえ あか ぼう じょう ねこ いぬ わん うさぎ "
        "こども まご むすめ むすこ よめ だんな となり きんじょ ともだち あり かみ ほとけ たく "
        "おかあ おとう おばあ おじい おにい おねえ おじ おば おじょう おぼっ"
    ).split()
)
_ORGANISATION_ENDS = tuple("県市町村区郡都道府店社園院館会局署所課寺宮庁") + ("センター", "協会")
_HONORIFIC_AFTER_KANA = re.compile(r"([ぁ-ゖ]{2,6})(?:さん|ちゃん|くん|さま)")
_PARTICLES = "のはがとにもをやへで"
_KANJI_DIGITS = dict(zip("〇一二三四五六七八九", range(10), strict=True))
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_INVISIBLE = {"\u00ad", "\u180e", "\ufeff", "\u2060", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f"}


@dataclass(frozen=True)
class PiiFinding:
    """One identifier found: its kind, the text as written, and its 1-based position."""

    kind: str
    excerpt: str
    position: int

    def describe(self) -> str:
        """Japanese text such as 電話番号「090-1234-5678」（12文字目）."""
        return f"{KIND_LABELS[self.kind]}「{self.excerpt}」（{self.position}文字目）"


# --- normalisation, keeping each character's position in the original ------------------


def _normalise(text: str) -> tuple[str, list[int]]:
    """NFKC per character and invisible characters dropped, with each character's original index."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if ch in _INVISIBLE or unicodedata.category(ch) == "Cf":
            continue
        norm = unicodedata.normalize("NFKC", ch)
        out.append(norm)
        origin.extend([i] * len(norm))
    return "".join(out), origin


def _rewrite(
    text: str, origin: list[int], pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]
) -> tuple[str, list[int]]:
    """Each match of pattern replaced, the new characters mapped onto the replaced ones' origins."""
    out: list[str] = []
    new_origin: list[int] = []
    last = 0
    for match in pattern.finditer(text):
        start, end = match.span()
        out.append(text[last:start])
        new_origin.extend(origin[last:start])
        new = replace(match)
        span = origin[start:end]
        for i in range(len(new)):
            new_origin.append(span[-1] if i == len(new) - 1 else span[min(i, len(span) - 1)])
        out.append(new)
        last = end
    out.append(text[last:])
    new_origin.extend(origin[last:])
    return "".join(out), new_origin


def _kanji_number(run: str) -> str:
    """〇九〇 → 090, 十二 → 12, 二十三 → 23, 百五 → 105."""
    if not any(ch in _KANJI_UNITS for ch in run):
        return "".join(str(_KANJI_DIGITS[ch]) for ch in run)
    total, digit = 0, None
    for ch in run:
        if ch in _KANJI_UNITS:
            total += (1 if digit is None else digit) * _KANJI_UNITS[ch]
            digit = None
        else:
            digit = _KANJI_DIGITS[ch] if digit is None else digit * 10 + _KANJI_DIGITS[ch]
    return str(total + (digit or 0))


_KANJI_RUN = re.compile(r"[〇一二三四五六七八九十百千]+")
_NUMBER_SEP = re.compile(r"(?<=\d)(?:\s*[-‐‑‒–—―−ー.・･]\s*|\s+-\s*|\s+(?=\d{3,4}\b))(?=\d)")


def _numeric(norm: str, origin: list[int]) -> tuple[str, list[int]]:
    """Kanji numerals as digits and one kind of separator inside number runs."""

    def kanji(match: re.Match[str]) -> str:
        run = match.group()
        if len(run) == 1 and run in "千百":
            return run
        try:
            return _kanji_number(run)
        except KeyError:
            return run

    text, origin = _rewrite(norm, origin, _KANJI_RUN, kanji)
    text, origin = _rewrite(text, origin, re.compile(r"(?<=\d)[-‐‑‒–—―−ー](?=\d)"), lambda _m: "-")

    return _rewrite(text, origin, _NUMBER_SEP, lambda m: "-" if m.group().strip() else " ")


# --- person names -----------------------------------------------------------------------


def _script(text: str) -> str:
    if all("ぁ" <= ch <= "ゖ" for ch in text):
        return "hiragana"
    if all("゠" <= ch <= "ヿ" for ch in text):
        return "katakana"
    if text.isascii() and text.isalpha():
        return "latin"
    if all(re.match(rf"[{KANJI}]", ch) for ch in text):
        return "kanji"
    return "mixed"


@dataclass(frozen=True)
class _Token:
    surface: str
    begin: int
    end: int
    pos: tuple[str, ...]
    oov: bool

    @property
    def is_person(self) -> bool:
        return self.pos[:3] == ("名詞", "固有名詞", "人名")

    @property
    def is_family(self) -> bool:
        return self.is_person and self.pos[3] == "姓"

    @property
    def is_given(self) -> bool:
        return self.is_person and self.pos[3] == "名"


def _tokens(norm: str) -> list[_Token]:
    return [
        _Token(m.surface(), m.begin(), m.end(), tuple(m.part_of_speech()), m.is_oov())
        for m in tokenizer().tokenize(norm)
    ]


def _looks_like_name(tokens: list[_Token], i: int) -> bool:
    """Whether tokens[i], written right before an honorific, is a person's name."""
    token = tokens[i]
    word, script = token.surface, _script(token.surface)
    if word in _NOT_NAMES or len(word) < 1:
        return False
    glued = tokens[i - 1] if i > 0 and tokens[i - 1].end == token.begin else None
    if (
        glued is not None
        and glued.pos[0] in ("名詞", "接頭辞")
        and not glued.is_person
        and _script(glued.surface) in (script, "hiragana", "katakana")
        # 保+健師さん, ちび+まる子ちゃん, ハロー+キティちゃん: a name inside another word.
        and (len(glued.surface) == 1 or _script(glued.surface) != "kanji" or script != "kanji")
    ):
        return False
    if script == "latin":
        # Aさん is how notes anonymise; NPOさん, JAさん are organisations.
        return len(word) >= 2 and not (word.isupper() and len(word) <= 4) and token.pos[1] != "普通名詞"
    if token.is_person:
        return True
    if script == "kanji" and token.pos[:2] == ("名詞", "固有名詞"):
        # 岡ちゃん, 大谷君: read as a place or a proper noun, but a person here; not 松江市さん.
        return not word.endswith(_ORGANISATION_ENDS)
    # Sudachi reads unknown katakana words (デイサービス) as common nouns: only unknown kanji count.
    return token.oov and script == "kanji" and len(word) >= 2


def _honorific_at(tokens: list[_Token], i: int) -> int | None:
    """The index of the honorific after tokens[i] (a space between is allowed), or None."""
    j = i + 1
    if j < len(tokens) and tokens[j].pos[0] == "空白" and len(tokens[j].surface) <= 1:
        j += 1
    if j < len(tokens) and tokens[j].surface in _HONORIFICS:
        return j
    return None


def _given_after(tokens: list[_Token], i: int) -> int | None:
    """The index of a given name right after the family name tokens[i] (山田太郎, 山田 太郎), or None."""
    j = i + 1
    if j < len(tokens) and tokens[j].pos[0] == "空白" and len(tokens[j].surface) == 1:
        j += 1
    if (
        j < len(tokens)
        and tokens[j].is_given
        and tokens[j].surface not in _NOT_NAMES
        and _honorific_at(tokens, j) is None
    ):
        return j
    return None


def _names(norm: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    tokens = _tokens(norm)
    for i, token in enumerate(tokens):
        honorific = _honorific_at(tokens, i)
        if honorific is not None and _looks_like_name(tokens, i):
            start = token.begin
            if i > 0 and tokens[i - 1].is_family and tokens[i - 1].end == start:
                start = tokens[i - 1].begin
            spans.append((start, tokens[honorific].end, "person_name"))
        elif token.is_family and (given := _given_after(tokens, i)) is not None:
            spans.append((token.begin, tokens[given].end, "full_name"))
    for match in _LATIN_NAME.finditer(norm):
        spans.append((match.start(), match.end(), "person_name"))
    for match in _HONORIFIC_AFTER_KANA.finditer(norm):
        found = _hiragana_name(norm, match)
        if found is not None:
            spans.append((found, match.end(), "person_name"))
    return spans


def _hiragana_name(norm: str, match: re.Match[str]) -> int | None:
    """ゆうきくん, そうたくん: a hiragana given name that Sudachi reads as other words."""
    name, start = match.group(1), match.start(1)
    before = norm[:start]
    if name[0] in _PARTICLES and len(name) > 2:
        name, start = name[1:], start + 1
        before = norm[:start]
    elif before and "ぁ" <= before[-1] <= "ゖ" and before[-1] not in _PARTICLES:
        return None
    if before and "゠" <= before[-1] <= "ヿ":  # ドラえもんくん
        return None
    if name[0] in "おご" or before.endswith(("お", "ご", "御")):
        return None
    if name in _HIRAGANA_WORDS or any(name.endswith(w) for w in _HIRAGANA_WORDS):
        return None
    return start


# --- putting it together ----------------------------------------------------------------

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", _EMAIL),
    ("line_id", _LINE_ID),
    ("id_number", _ID_NUMBER),
    ("phone", _PHONE),
    ("my_number", _MY_NUMBER),
    ("postal_code", _POSTAL),
    ("birth_date", _BIRTH),
    ("room", _ROOM),
    ("address", _ADDRESS),
)


def _pattern_spans(numeric: str) -> list[tuple[int, int, str]]:
    spans = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(numeric):
            if kind == "address" and _NOT_PLACE.search(numeric[: m.start() + 1]):
                continue
            spans.append((m.start(), m.end(), kind))
    return spans


def find_pii(text: str) -> list[PiiFinding]:
    """Every direct identifier in text, in order of position."""
    norm, origin = _normalise(text)
    if not norm.strip():
        return []
    numeric, numeric_origin = _numeric(norm, origin)
    candidates = [
        (numeric_origin[start], numeric_origin[end - 1], kind) for start, end, kind in _pattern_spans(numeric)
    ]
    candidates += [(origin[start], origin[end - 1], kind) for start, end, kind in _names(norm)]
    taken: list[tuple[int, int, str]] = []
    for first, last, kind in candidates:
        if not any(first <= t_last and t_first <= last for t_first, t_last, _ in taken):
            taken.append((first, last, kind))
    return [PiiFinding(kind, text[first : last + 1], first + 1) for first, last, kind in sorted(taken)]


def pii_error(text: str) -> str | None:
    """A Japanese message naming every identifier found, or None when the text is clean."""
    findings = find_pii(text)
    if not findings:
        return None
    found = "、".join(f.describe() for f in findings)
    return f"個人を特定できる情報は書けません: {found}"


def no_pii(value: str | None) -> str | None:
    """A pydantic validator for free text that reaches a record or another organisation."""
    message = pii_error(value) if value else None
    if message:
        raise ValueError(message)
    return value


class PiiInField(Invalid, ValueError):
    """Free text that would carry an identifier to the record or to someone else (HTTP 422)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)
        self.field: str = field


def refuse_pii(**fields: str | None) -> None:
    """Raises PiiInField for the first of the named free-text fields that holds an identifier."""
    for field, value in fields.items():
        message = pii_error(value) if value else None
        if message:
            raise PiiInField(field, message)


def guarded_text(value: str, field: str, *, limit: int, required: str = "") -> str:
    """Free text about a person from a form: cleaned, within its limit, present when required, and free of
    identifiers, or Invalid (PiiInField) naming the field."""
    text = bounded_text(value, field, limit=limit, required=required)
    refuse_pii(**{field: text})
    return text
