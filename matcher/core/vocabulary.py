"""The domain's closed vocabularies (domain.md §3–§5), each code with its Japanese label."""

from enum import StrEnum


class ExclusionCode(StrEnum):
    """Why a listing is not proposed: the hard constraints of domain.md §6 and the coordinator's own
    decisions. The SQL function exclusion_codes, the numpy constraints and the oracle use these codes."""

    inactive = "inactive"
    no_capacity = "no_capacity"
    schedule = "schedule"
    distance = "distance"
    age = "age"
    contact = "contact"
    physical = "physical"
    accommodation = "accommodation"
    eligibility = "eligibility"
    rejected = "rejected"
    placed = "placed"


HARD_CONSTRAINTS = tuple(c for c in ExclusionCode if c not in (ExclusionCode.rejected, ExclusionCode.placed))


class PlacementStatus(StrEnum):
    """The lifecycle of a placement (domain.md §7)."""

    confirmed = "confirmed"
    referred = "referred"
    trial = "trial"
    active = "active"
    ended = "ended"
    cancelled = "cancelled"


class PlacementAction(StrEnum):
    """A coordinator's step from one placement status to the next."""

    refer = "refer"
    trial = "trial"
    activate = "activate"
    end = "end"
    cancel = "cancel"


class EndReason(StrEnum):
    """Why a placement ended."""

    stepped_up = "stepped_up"
    completed = "completed"
    dropped_out = "dropped_out"
    host_ended = "host_ended"
    host_declined = "host_declined"  # set by the host's answer, never chosen by the coordinator
    other = "other"


class HostResponse(StrEnum):
    """A host's answer to a referral."""

    accepted = "accepted"
    declined = "declined"


class Role(StrEnum):
    """Who an account is (domain.md §2)."""

    coordinator = "coordinator"
    provider = "provider"
    admin = "admin"
    member = "member"  # 支援会議の構成員: sees nothing outside the meetings they belong to (domain.md §9)


class MeetingKind(StrEnum):
    """The two meetings of 社会福祉法 (domain.md §9), which decide what may be shared."""

    shien_kaigi = "shien_kaigi"  # 支援会議 (法第106条の6): with or without consent, under 守秘義務
    jusoteki_kaigi = "jusoteki_kaigi"  # 重層的支援会議: only with full consent; agrees the plan


class DevelopmentStage(StrEnum):
    """Where a 開拓候補 is: open stages in order, then the two ends."""

    candidate = "candidate"
    approached = "approached"
    preparing = "preparing"
    registered = "registered"
    dropped = "dropped"


class SupportKind(StrEnum):
    """What support a host was given (定着支援)."""

    visit = "visit"
    grant = "grant"
    transport = "transport"
    accompany = "accompany"
    training = "training"


class Kind(StrEnum):
    """場の種類."""

    cafe = "cafe"
    farm = "farm"
    shop = "shop"
    workplace_b = "workplace_b"
    workplace_a = "workplace_a"
    transition = "transition"
    life_training = "life_training"
    employment_prep = "employment_prep"
    activity_center = "activity_center"
    volunteer_center = "volunteer_center"
    care_prevention = "care_prevention"
    silver = "silver"
    youth_support = "youth_support"
    shelter = "shelter"
    library = "library"
    other = "other"


class Programme(StrEnum):
    """既存事業 (existing statutory programmes)."""

    shuro_b = "shuro_b"
    shuro_a = "shuro_a"
    shuro_iko = "shuro_iko"
    seikatsu_kunren = "seikatsu_kunren"
    shuro_junbi = "shuro_junbi"
    ichiji_seikatsu = "ichiji_seikatsu"
    chiiki_katsudo = "chiiki_katsudo"
    kaigo_yobo = "kaigo_yobo"
    silver = "silver"
    saposute = "saposute"
    volunteer = "volunteer"


class Accommodation(StrEnum):
    """配慮."""

    short_hours = "short_hours"
    flexible_absence = "flexible_absence"
    female_staff = "female_staff"
    pickup = "pickup"
    remote = "remote"
    quiet_space = "quiet_space"
    step_by_step = "step_by_step"


class Reward(StrEnum):
    """賃金・謝礼の有無."""

    paid = "paid"
    stipend = "stipend"
    none = "none"


class RewardPreference(StrEnum):
    """What the person hopes for in reward."""

    paid = "paid"
    stipend = "stipend"
    none = "none"
    any = "any"


class ResourceStatus(StrEnum):
    """掲載状態."""

    active = "active"
    paused = "paused"
    closed = "closed"


class Fact(StrEnum):
    """Eligibility facts of a profile."""

    certificate = "certificate"
    disability_handbook = "disability_handbook"
    welfare = "welfare"
    hardship = "hardship"
    not_in_work_or_school = "not_in_work_or_school"
    hikikomori = "hikikomori"


class Consent(StrEnum):
    """本人同意の範囲."""

    full = "full"
    meeting_only = "meeting_only"
    none = "none"


class ProfileStatus(StrEnum):
    """支援の状態."""

    open = "open"
    placed = "placed"
    closed = "closed"


class Day(StrEnum):
    """曜日."""

    mon = "mon"
    tue = "tue"
    wed = "wed"
    thu = "thu"
    fri = "fri"
    sat = "sat"
    sun = "sun"


LABELS: dict[type[StrEnum], dict[str, str]] = {
    ExclusionCode: {
        "inactive": "休止・終了",
        "no_capacity": "空きがない",
        "schedule": "活動日時が合わない",
        "distance": "遠すぎる",
        "age": "年齢要件",
        "contact": "対人接触が多すぎる",
        "physical": "体力負荷が重すぎる",
        "accommodation": "必要な配慮がない",
        "eligibility": "制度の対象外",
        "rejected": "見送り済み",
        "placed": "確定済み",
    },
    PlacementStatus: {
        "confirmed": "確定",
        "referred": "紹介済み",
        "trial": "見学・体験",
        "active": "利用中",
        "ended": "終了",
        "cancelled": "取り消し",
    },
    PlacementAction: {
        "refer": "受け入れ先へ紹介",
        "trial": "見学・体験へ",
        "activate": "利用開始",
        "end": "終了",
        "cancel": "取り消し",
    },
    EndReason: {
        "stepped_up": "次の段階へ",
        "completed": "目標を達成して終了",
        "dropped_out": "本人の中断",
        "host_ended": "受け入れ先の都合",
        "host_declined": "受け入れ先の辞退",
        "other": "その他",
    },
    HostResponse: {"accepted": "受け入れます", "declined": "辞退します"},
    MeetingKind: {"shien_kaigi": "支援会議", "jusoteki_kaigi": "重層的支援会議"},
    DevelopmentStage: {
        "candidate": "候補",
        "approached": "打診中",
        "preparing": "受入準備",
        "registered": "登録済",
        "dropped": "見送り",
    },
    SupportKind: {
        "visit": "訪問",
        "grant": "応援金",
        "transport": "送迎",
        "accompany": "同行",
        "training": "研修",
    },
    Role: {
        "coordinator": "コーディネーター",
        "provider": "受け入れ先",
        "admin": "管理者",
        "member": "会議の構成員",
    },
    Kind: {
        "cafe": "コミュニティカフェ・居場所",
        "farm": "農園・農福連携",
        "shop": "商店・中間的就労",
        "workplace_b": "就労継続支援B型",
        "workplace_a": "就労継続支援A型",
        "transition": "就労移行支援",
        "life_training": "自立訓練（生活訓練）",
        "employment_prep": "就労準備支援事業",
        "activity_center": "地域活動支援センター",
        "volunteer_center": "ボランティアセンター",
        "care_prevention": "通いの場・一般介護予防",
        "silver": "シルバー人材センター",
        "youth_support": "地域若者サポートステーション",
        "shelter": "一時生活支援・居住支援",
        "library": "図書館・公共施設",
        "other": "その他",
    },
    Programme: {
        "shuro_b": "就労継続支援B型",
        "shuro_a": "就労継続支援A型",
        "shuro_iko": "就労移行支援",
        "seikatsu_kunren": "自立訓練（生活訓練）",
        "shuro_junbi": "就労準備支援事業",
        "ichiji_seikatsu": "一時生活支援・居住支援",
        "chiiki_katsudo": "地域活動支援センター",
        "kaigo_yobo": "一般介護予防事業（通いの場）",
        "silver": "シルバー人材センター",
        "saposute": "地域若者サポートステーション",
        "volunteer": "社協ボランティアセンター",
    },
    Accommodation: {
        "short_hours": "短時間可",
        "flexible_absence": "欠席可",
        "female_staff": "女性スタッフ対応",
        "pickup": "送迎あり",
        "remote": "在宅可",
        "quiet_space": "静かな環境",
        "step_by_step": "段階的な作業",
    },
    Reward: {"paid": "賃金・工賃", "stipend": "謝礼・活動費", "none": "無償"},
    RewardPreference: {
        "paid": "賃金・工賃",
        "stipend": "謝礼・活動費",
        "none": "無償",
        "any": "こだわらない",
    },
    ResourceStatus: {"active": "受け入れ中", "paused": "休止中", "closed": "終了"},
    Fact: {
        "certificate": "障害福祉サービス受給者証",
        "disability_handbook": "障害者手帳",
        "welfare": "生活保護受給",
        "hardship": "生活困窮（就労準備支援事業の要件該当）",
        "not_in_work_or_school": "無業",
        "hikikomori": "ひきこもり状態",
    },
    Consent: {
        "full": "本人同意",
        "meeting_only": "支援会議限定",
        "none": "未同意",
    },
    ProfileStatus: {"open": "支援中", "placed": "参加中", "closed": "終結"},
    Day: {"mon": "月", "tue": "火", "wed": "水", "thu": "木", "fri": "金", "sat": "土", "sun": "日"},
}

CONTACT_LEVELS = {1: "一人作業中心", 2: "少人数", 3: "接客・大人数"}
PHYSICAL_LOADS = {1: "軽い", 2: "普通", 3: "重い"}
STAGES = {
    1: "居場所への参加",
    2: "継続的な通所",
    3: "中間的就労",
    4: "就労体験",
    5: "就労準備",
    6: "一般就労",
}


def label(value: StrEnum | str | None, enum: type[StrEnum] | None = None) -> str:
    """The Japanese label of a vocabulary code ('' for None)."""
    if value is None:
        return ""
    enum = enum or type(value)  # type: ignore[assignment]
    return LABELS.get(enum, {}).get(str(value), str(value))  # type: ignore[arg-type]
