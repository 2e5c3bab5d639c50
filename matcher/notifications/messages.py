"""The mails themselves: what happened, the referral's number and the listing (business information),
and a link. Never a profile's narrative, age, facts or anything else about the person."""

from dataclasses import dataclass
from datetime import date

from matcher.config import Settings

FOOTER = (
    "\n\n――\n参加支援マッチング からの自動送信です。個人の情報はメールに書いていません。"
    "内容はリンク先でログインして確認してください。"
)


@dataclass(frozen=True)
class Mail:
    """One message: its kind (for the outbox), subject and plain-text body."""

    kind: str
    subject: str
    body: str


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def host_link(settings: Settings, placement_id: int) -> str:
    """Where a host answers a referral."""
    return f"{settings.public_url}/#referral-{placement_id}"


def coordinator_link(settings: Settings, profile_id: str, placement_id: int) -> str:
    """Where a coordinator sees the placement (the profile's code is a pseudonym, not a name)."""
    return f"{settings.public_url}/profiles/{profile_id}#placement-{placement_id}"


def new_referral(settings: Settings, placement_id: int, listing: str, due: date | None) -> Mail:
    """To the listing's hosts: a referral is waiting for their answer."""
    by = f"{_day(due)}までに" if due else ""
    return Mail(
        "referral",
        f"【参加支援マッチング】新しい紹介が届きました（紹介番号 {placement_id}）",
        f"「{listing}」への紹介が届きました（紹介番号 {placement_id}）。\n"
        f"{by}受け入れられるかどうかを返答してください。\n\n"
        f"内容の確認と返答: {host_link(settings, placement_id)}" + FOOTER,
    )


def reminder(settings: Settings, placement_id: int, listing: str, due: date) -> Mail:
    """To the listing's hosts: the answer is past its due date."""
    return Mail(
        "reminder",
        f"【参加支援マッチング】紹介への返答をお願いします（紹介番号 {placement_id}）",
        f"「{listing}」への紹介（紹介番号 {placement_id}）の返答期限（{_day(due)}）が過ぎています。\n"
        f"受け入れられるかどうかを返答してください。\n\n"
        f"内容の確認と返答: {host_link(settings, placement_id)}" + FOOTER,
    )


def consent_withdrawn(settings: Settings, placement_id: int, listing: str) -> Mail:
    """To the listing's hosts: the person withdrew consent; the referral's details are no longer shown."""
    return Mail(
        "withdrawn",
        f"【参加支援マッチング】紹介の同意が撤回されました（紹介番号 {placement_id}）",
        f"「{listing}」への紹介（紹介番号 {placement_id}）について、ご本人の同意が撤回されました。\n"
        "この紹介の内容はもう表示されません。控えやメモをお持ちの場合は破棄してください。\n\n"
        f"受け入れ先のページ: {host_link(settings, placement_id)}" + FOOTER,
    )


def host_answered(
    settings: Settings, placement_id: int, profile_id: str, listing: str, accepted: bool
) -> Mail:
    """To the coordinator who confirmed the placement: the host answered."""
    answer = "受け入れる" if accepted else "辞退する"
    then = (
        "見学・体験の日程を調整してください。"
        if accepted
        else "このつなぎは「受け入れ先の辞退」で終わり、空きは戻りました。"
    )
    return Mail(
        "answered",
        f"【参加支援マッチング】受け入れ先から返答がありました（紹介番号 {placement_id}: {answer}）",
        f"「{listing}」から、紹介番号 {placement_id} に「{answer}」と返答がありました。\n{then}\n\n"
        f"確認: {coordinator_link(settings, profile_id, placement_id)}" + FOOTER,
    )


def answer_overdue(settings: Settings, placement_id: int, profile_id: str, listing: str, due: date) -> Mail:
    """To the coordinator: a host has not answered by the due date."""
    return Mail(
        "overdue",
        f"【参加支援マッチング】受け入れ先の返答が期限を過ぎています（紹介番号 {placement_id}）",
        f"「{listing}」への紹介（紹介番号 {placement_id}）に、"
        f"期限（{_day(due)}）を過ぎても返答がありません。\n"
        "受け入れ先に連絡するか、ほかの提案を検討してください。\n\n"
        f"確認: {coordinator_link(settings, profile_id, placement_id)}" + FOOTER,
    )


def stalled(
    settings: Settings, placement_id: int, profile_id: str, listing: str, status: str, days: int
) -> Mail:
    """To the coordinator: no step for a while."""
    return Mail(
        "stalled",
        f"【参加支援マッチング】{days}日以上動きのないつなぎがあります（紹介番号 {placement_id}）",
        f"「{listing}」へのつなぎ（番号 {placement_id}、{status}）が{days}日以上進んでいません。\n"
        "次の一歩を記録するか、終了・取り消しを検討してください。\n\n"
        f"確認: {coordinator_link(settings, profile_id, placement_id)}" + FOOTER,
    )


def digest(mails: list[tuple[str, str]]) -> tuple[str, str]:
    """One day's mails for a host who asked for a digest: (subject, body)."""
    subject = f"【参加支援マッチング】本日のお知らせ（{len(mails)}件）"
    parts = [f"■ {s}\n{b.split(FOOTER)[0]}" for s, b in mails]
    return subject, "\n\n".join(parts) + FOOTER
