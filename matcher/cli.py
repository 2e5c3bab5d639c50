"""The `matcher` command."""

import getpass
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import psycopg
import typer

from matcher import db
from matcher.config import Settings, get_settings
from matcher.core.importing import ImportRejected
from matcher.profiles.store import iter_profiles
from matcher.registry.store import iter_resources

if TYPE_CHECKING:
    from matcher.notifications.outbox import Delivery

app = typer.Typer(help="参加支援マッチング", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="データベース", no_args_is_help=True)
import_app = typer.Typer(help="ファイルの取り込み", no_args_is_help=True)
export_app = typer.Typer(help="書き出し（JSON Lines / HSDS）", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
user_app = typer.Typer(help="アカウント", no_args_is_help=True)
mail_app = typer.Typer(help="通知メール", no_args_is_help=True)
batch_app = typer.Typer(help="週次処理", no_args_is_help=True)
app.add_typer(batch_app, name="batch")
app.add_typer(export_app, name="export")
app.add_typer(user_app, name="user")
app.add_typer(mail_app, name="mail")

FileArg = Annotated[Path, typer.Argument(help="読み込むファイル", show_default=False)]
EmbedOption = Annotated[
    bool,
    typer.Option(
        "--embed/--no-embed", help="取り込み後に変わった文章を埋め込む（後で matcher embed でも可）"
    ),
]


def cli_actor() -> str:
    """Who ran a command, for the audit log."""
    return f"cli:{getpass.getuser()}"


def fail(lines: list[str]) -> None:
    """Prints lines on stderr and exits non-zero."""
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(1)


def read_file(path: Path) -> bytes:
    """The bytes of a file, or a clear failure."""
    try:
        return path.read_bytes()
    except OSError as exc:
        fail([f"{path}: ファイルを読めません（{exc.strerror}）"])
        raise  # unreachable


@db_app.command("migrate")
def migrate() -> None:
    """スキーマを最新にします（何度実行しても同じ結果）。"""
    settings = get_settings()
    try:
        applied = db.migrate_settings(settings)
    except db.DatabaseError as exc:
        fail([str(exc)])
    typer.echo(f"適用: {', '.join(applied)}" if applied else "スキーマは最新です")


@db_app.command("create-roles")
def create_roles(
    owner_password: Annotated[
        str | None, typer.Option(help="スキーマ所有者 matcher_owner のパスワード（マイグレーション用）")
    ] = None,
    app_password: Annotated[
        str | None, typer.Option(help="アプリのロール matcher_app のパスワード（matcher serve などが使う）")
    ] = None,
) -> None:
    """MATCHER_DATABASE_URL（スーパーユーザー）のデータベースに所有者ロールとアプリのロールを作ります。

    スキーマを matcher_owner の持ち物にして最新にし、matcher_app にはデータの読み書きだけを許します
    （監査ログは追記のみ）。表示される2つの URL を MATCHER_MIGRATION_DATABASE_URL と MATCHER_DATABASE_URL に
    設定してください。何度実行しても同じ結果です（復元の後にも実行してください）。"""
    settings = get_settings()
    if not settings.database_url:
        fail(["組み込みPostgreSQLでは、ロールは起動時に自動で作られます（この操作は不要です）。"])
    try:
        owner, app_url = db.create_roles(
            settings.database_url or "", owner_password=owner_password, app_password=app_password
        )
    except (db.DatabaseError, psycopg.Error) as exc:
        fail([f"ロールを作れません: {exc}"])
        raise
    typer.echo(f"MATCHER_MIGRATION_DATABASE_URL={owner}")
    typer.echo(f"MATCHER_DATABASE_URL={app_url}")


@import_app.command("resources")
def import_resources(file: FileArg, embed: EmbedOption = True) -> None:
    """社会資源（.jsonl / .csv）を id で追加・更新します。1行でも誤りがあれば何も書きません。"""
    from matcher.registry.importer import import_resources as run

    _run_import(lambda conn: run(conn, read_file(file), file.name, actor=cli_actor()), embed)


@import_app.command("profiles")
def import_profiles(file: FileArg, embed: EmbedOption = True) -> None:
    """ニーズプロファイル（.jsonl / .csv）を id で追加・更新します。個人情報チェックあり。"""
    from matcher.profiles.importer import import_profiles as run

    _run_import(lambda conn: run(conn, read_file(file), file.name, actor=cli_actor()), embed)


@import_app.command("hsds")
def import_hsds(file: FileArg, embed: EmbedOption = True) -> None:
    """Open Referral HSDS 3 のサービス（JSON）を社会資源として追加・更新します。"""
    from matcher.registry.importer import import_hsds as run

    try:
        _run_import(lambda conn: run(conn, read_file(file), file.name, actor=cli_actor()), embed)
    except RecursionError:  # the nesting is checked before parsing; this is the last line of defence
        fail([f"{file.name}: JSON の入れ子が深すぎるため読み込みませんでした（何も書き込んでいません）"])


@import_app.command("wamnet")
def import_wamnet(
    file: FileArg,
    city: Annotated[
        str | None, typer.Option(help="指定機関の市区町村コード（5桁/6桁）または市区町村名で絞り込み")
    ] = None,
    embed: EmbedOption = True,
) -> None:
    """WAM NET オープンデータのCSVを既存事業の社会資源として取り込みます。"""
    from matcher.registry.importer import import_wamnet as run

    _run_import(lambda conn: run(conn, read_file(file), file.name, city=city, actor=cli_actor()), embed)


def _run_import(run: Callable[[psycopg.Connection], list[str]], embed: bool = True) -> None:
    """Runs an import, prints its summary, then embeds what changed with a progress bar."""
    settings = get_settings()
    try:
        with db.connect(settings) as conn:
            for line in run(conn):
                typer.echo(line)
            if embed:
                embed_changed(conn, settings)
    except ImportRejected as exc:
        fail([str(exc), *exc.lines(settings.max_import_errors_shown)])
    except db.DatabaseError as exc:
        fail([str(exc)])


def embed_changed(conn: psycopg.Connection, settings: Settings) -> int:
    """Embeds new and changed texts, showing a progress bar on stderr."""
    from matcher import embedding

    spec = embedding.EmbeddingSpec.from_settings(settings)
    bar: Any = None

    def start(total: int) -> None:
        nonlocal bar
        if total:
            bar = typer.progressbar(length=total, label="埋め込み（文章のベクトル化）", file=sys.stderr)
            bar.__enter__()

    try:
        done = embedding.sync(conn, spec, on_start=start, on_progress=lambda n: bar.update(n))
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if done:
        typer.echo(f"埋め込み: {done}件の文章をベクトル化しました（モデル {spec.key}）", err=True)
    return done


@app.command()
def embed() -> None:
    """新しい・変わった文章だけを埋め込みます（モデルを変えたときはすべて）。"""
    settings = get_settings()
    with db.connect(settings) as conn:
        done = embed_changed(conn, settings)
    if not done:
        typer.echo("埋め込みはすべて最新です")


@app.command()
def propose(
    profile_id: Annotated[str, typer.Argument(help="ニーズプロファイルのコード", show_default=False)],
    top: Annotated[int, typer.Option(min=1, max=1000, help="提案の件数")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """1人分の提案（既存事業→参加支援の順）と、除外した社会資源とその理由を出します。"""
    from matcher.matching.propose import ProfileNotFound
    from matcher.matching.propose import propose as run

    settings = get_settings()
    try:
        with db.connect(settings) as conn:
            result = run(conn, settings, profile_id=profile_id, top=top)
    except ProfileNotFound as exc:
        fail([str(exc)])
    if as_json:
        sys.stdout.write(result.document(top).model_dump_json() + "\n")
        return
    for line in render_proposals(result, top):
        typer.echo(line)


def render_proposals(result: Any, top: int) -> list[str]:
    """Proposals as Japanese text for a terminal."""
    shown = result.proposals[:top]
    lines = [f"ニーズプロファイル {result.profile_id}: 提案 {len(shown)}件（対象 {len(result.proposals)}件）"]
    for n, proposal in enumerate(shown, start=1):
        tier = "既存事業" if proposal.tier == 1 else "参加支援"
        c = proposal.candidate
        lines.append(f"{n}. [{tier}] {c.name}（{c.id}）  {proposal.fit_label}（適合度 {proposal.score:.2f}）")
        lines.extend(f"     ・{reason}" for reason in proposal.reasons)
    lines.append(f"除外 {len(result.excluded)}件（--json で理由をすべて表示）")
    return lines


@user_app.command("create")
def user_create(
    role: Annotated[str, typer.Option(help="coordinator / provider / admin / member（支援会議の構成員）")],
    name: Annotated[str, typer.Option(help="アカウント名（ログイン名）")],
    resource: Annotated[
        list[str] | None, typer.Option(help="受け入れ先が編集できる社会資源の id（複数可）")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(help="ウェブ画面にログインするためのパスワード（10文字以上。なければ API のみ）"),
    ] = None,
    email: Annotated[
        str | None, typer.Option(help="通知メールの宛先（MATCHER_SMTP_URL があるとき送ります）")
    ] = None,
    digest: Annotated[bool, typer.Option(help="受け入れ先への通知を1日1通のまとめにする")] = False,
) -> None:
    """アカウントを作り、API トークンを標準出力に出します（トークンは再表示できません）。"""
    from matcher.accounts.users import AccountError, create_user

    try:
        with db.connect(get_settings()) as conn:
            _user, token = create_user(
                conn,
                name=name,
                role=role,
                resource_ids=resource or [],
                password=password,
                actor=cli_actor(),
                email=email,
                mail_digest=digest,
            )
    except AccountError as exc:
        fail([str(exc)])
    typer.echo(token)


@user_app.command("set-email")
def user_set_email(
    name: Annotated[str, typer.Argument(help="アカウント名")],
    email: Annotated[str, typer.Argument(help="メールアドレス（空文字でメールを送らない）")],
    digest: Annotated[bool, typer.Option(help="受け入れ先への通知を1日1通のまとめにする")] = False,
) -> None:
    """通知メールの宛先を設定します。"""
    from matcher.accounts.users import AccountError, set_email

    try:
        with db.connect(get_settings()) as conn:
            set_email(conn, name=name, email=email, mail_digest=digest, actor=cli_actor())
    except AccountError as exc:
        fail([str(exc)])
    typer.echo(f"{name} の通知先を記録しました")


def _mail_settings() -> Settings:
    """The settings of a sending command; exits when no SMTP server is set (nothing would be sent)."""
    settings = get_settings()
    if settings.smtp_url is None:
        fail(["MATCHER_SMTP_URL が設定されていないため、メールは送りません"])
    return settings


def _report_delivery(done: "Delivery", before: str = "") -> None:
    """Prints what a sending round did; exits non-zero when any mail failed."""
    typer.echo(f"{before}送信 {done.sent} 通、失敗 {done.failed} 通")
    if done.failed:
        raise typer.Exit(1)


@mail_app.command("send")
def mail_send() -> None:
    """送信待ちのメールをいま送ります（ウェブ画面が動いていれば変更のたびに送られます）。"""
    from matcher.notifications.outbox import deliver

    settings = _mail_settings()
    with db.connect(settings) as conn:
        done = deliver(conn, settings)
    _report_delivery(done)


@mail_app.command("daily")
def mail_daily() -> None:
    """毎日1回（cron など）: 返答の期限切れと動きのないつなぎを知らせ、受け入れ先のまとめメールを送ります。"""
    from matcher.notifications.outbox import deliver, remind

    settings = _mail_settings()
    with db.connect(settings) as conn:
        queued = remind(conn, settings)
        done = deliver(conn, settings, digests=True)
    _report_delivery(done, f"お知らせ {queued} 通を用意し、")


@mail_app.command("test")
def mail_test(address: Annotated[str, typer.Argument(help="試しに送る宛先")]) -> None:
    """設定を確かめるため、試験メールを1通送ります。"""
    from matcher.notifications.outbox import send_one

    settings = get_settings()
    if settings.smtp_url is None:
        fail(["MATCHER_SMTP_URL が設定されていません"])
    try:
        send_one(
            settings,
            address,
            "【参加支援マッチング】試験メール",
            "メールの設定を確かめるための試験メールです。",
        )
    except OSError as exc:
        fail([f"送れませんでした: {exc}"])
    typer.echo(f"{address} に送りました")


@user_app.command("tokens")
def user_tokens(
    name: Annotated[str | None, typer.Argument(help="アカウント名（省略するとすべてのアカウント）")] = None,
) -> None:
    """API トークンの一覧: id・アカウント・作成日時・最後に使われた日時（トークンそのものは出しません）。"""
    from matcher.accounts.users import AccountError, account_id, list_tokens

    try:
        with db.connect(get_settings()) as conn:
            tokens = list_tokens(conn, user_id=account_id(conn, name) if name is not None else None)
    except AccountError as exc:
        fail([str(exc)])
    for t in tokens:
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "未使用"
        typer.echo(f"{t.id}\t{t.user_name}\t作成 {t.created_at:%Y-%m-%d %H:%M}\t最終使用 {used}")


@user_app.command("revoke-token")
def user_revoke_token(
    name: Annotated[str, typer.Argument(help="アカウント名")],
    token_id: Annotated[
        int | None, typer.Argument(help="取り消すトークンの id（matcher user tokens で確認）", min=1)
    ] = None,
    all_tokens: Annotated[bool, typer.Option("--all", help="そのアカウントのトークンを全部取り消す")] = False,
) -> None:
    """API トークンを取り消します（1つを id で、または --all ですべて）。取り消しは監査ログに残ります。"""
    from matcher.accounts.users import AccountError, account_id, revoke_tokens

    if (token_id is None) != all_tokens:
        fail(["トークンの id か --all のどちらか一方を指定してください"])
    try:
        with db.connect(get_settings()) as conn:
            revoked = revoke_tokens(
                conn,
                user_id=account_id(conn, name),
                token_id=None if all_tokens else token_id,
                actor=cli_actor(),
            )
    except AccountError as exc:
        fail([str(exc)])
    typer.echo(
        f"{len(revoked)}件のトークンを取り消しました"
        + (f"（{', '.join(map(str, revoked))}）" if revoked else "")
    )


@export_app.command("resources")
def export_resources() -> None:
    """社会資源を JSON Lines で標準出力に書き出します（そのまま取り込み直せます）。"""
    with db.connect(get_settings()) as conn:
        for resource in iter_resources(conn):
            sys.stdout.write(resource.model_dump_json() + "\n")


@export_app.command("hsds")
def export_hsds() -> None:
    """社会資源を Open Referral HSDS 3 のサービスの一覧（JSON）で標準出力に書き出します。"""
    from matcher.registry import hsds

    with db.connect(get_settings()) as conn:
        services = hsds.to_services(iter_resources(conn))
    sys.stdout.write(json.dumps(services, ensure_ascii=False, indent=2) + "\n")


@export_app.command("profiles")
def export_profiles() -> None:
    """ニーズプロファイルを JSON Lines で標準出力に書き出します。"""
    with db.connect(get_settings()) as conn:
        for profile in iter_profiles(conn):
            sys.stdout.write(profile.model_dump_json() + "\n")


@app.command()
def seed() -> None:
    """seeds/ のデモデータを読み込みます（何度実行しても同じ結果）。"""
    from matcher.seed import load_seeds

    _run_import(lambda conn: load_seeds(conn, get_settings().seeds_dir))


PHASES = {"embedding": "埋め込み", "scoring": "提案の計算", "assigning": "割り当て"}


class BarProgress:
    """A progress bar on stderr for each phase of the weekly batch."""

    def __init__(self) -> None:
        self.bar: Any = None

    def phase(self, name: str, total: int) -> None:
        self.close()
        if total:
            self.bar = typer.progressbar(length=total, label=PHASES.get(name, name), file=sys.stderr)
            self.bar.__enter__()

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@batch_app.command("run")
def batch_run(
    week: Annotated[str | None, typer.Option(help="対象の週（例: 2026-W48）。省略時は今週")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="結果を JSON で出力")] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=0,
            max=64,
            help="提案の計算をタスクに分け、このマシンでワーカーをこの数だけ起動して計算します"
            "（0: このプロセスだけで計算。ほかのマシンの matcher worker も加わります）",
        ),
    ] = 0,
    distribute: Annotated[
        bool,
        typer.Option(
            "--distribute", help="--workers 0 でもタスクに分け、ほかのマシンの matcher worker に計算させます"
        ),
    ] = False,
) -> None:
    """週次処理: 変わった文章の埋め込み、重みの学習、全員の提案の計算、定員を守った割り当て、不足の集計。"""
    from matcher.batch.weekly import BadWeek, BatchBusy, Progress, run_batch

    settings = get_settings()
    bar = BarProgress()
    try:
        with db.connect(settings) as conn:
            if workers or distribute:
                from matcher.batch.tasks import Workers, WorkersFailed

                say = lambda text: typer.echo(text, err=True)  # noqa: E731
                try:
                    with Workers(settings, local=workers, advance=bar.advance, say=say) as pieces:
                        progress = Progress(bar.phase, bar.advance)
                        result = run_batch(conn, settings, week=week, progress=progress, pieces=pieces)
                except WorkersFailed as exc:
                    bar.close()
                    fail([str(exc)])
            else:
                result = run_batch(conn, settings, week=week, progress=Progress(bar.phase, bar.advance))
    except (BatchBusy, BadWeek) as exc:
        bar.close()
        fail([str(exc)])
    bar.close()
    if as_json:
        sys.stdout.write(json.dumps(result.document(), ensure_ascii=False) + "\n")
        return
    stats = result.stats
    people, given, none = stats["profiles"], stats["proposals"], stats["unassigned"]
    typer.echo(f"{result.week}: {people}人に {given}件を提案、提案なし {none}人")
    if stats.get("previous_week"):
        moved = f"新規 {stats['new']}件、外れた {stats['dropped']}件、順位変動 {stats['moved']}件"
        typer.echo(f"  {stats['previous_week']} から: {moved}")
    for note in result.notes:
        typer.echo(f"  ・{note}")
    for gap in [g for g in result.gaps if g.shown]:
        typer.echo(f"  不足: {gap.area} {gap.size}人「{gap.label}」")


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="同時に実行するタスクの数（計算はCPUを使うので1が目安）")
    ] = 1,
    queues: Annotated[
        list[str] | None,
        typer.Option("--queues", help="受け持つ待ち行列（省略時はすべて。週次処理は batch）"),
    ] = None,
) -> None:
    """週次処理のタスクを実行するワーカー（Ctrl+C か SIGTERM で、実行中のタスクを終えてから止まります）。"""
    from matcher.batch.tasks import run_worker

    settings = get_settings()
    typer.echo(f"ワーカーを起動します（待ち行列: {', '.join(queues) if queues else 'すべて'}）", err=True)
    try:
        run_worker(settings, concurrency=concurrency, queues=queues)
    except db.DatabaseError as exc:
        fail([str(exc)])
    typer.echo("ワーカーを止めました", err=True)


@app.command("demo-accounts")
def demo_accounts(
    host: Annotated[str | None, typer.Option(help="serve が待ち受けるアドレス（表示用）")] = None,
    port: Annotated[
        int | None, typer.Option(help="serve が待ち受けるポート（表示用、既定は MATCHER_PORT）")
    ] = None,
) -> None:
    """デモ用のアカウント（コーディネーター・受け入れ先・管理者・会議の構成員）とデモの支援会議を作り、
    ログイン情報を表示します。"""
    from matcher.accounts.users import ROLE_LABELS, ensure_demo_accounts
    from matcher.meetings.service import ensure_demo_meeting

    settings = get_settings()
    if not settings.demo:
        fail(["デモ用アカウントはデモ（MATCHER_DEMO=1、make demo）のときだけ作れます"])
    with db.connect(settings) as conn:
        accounts = ensure_demo_accounts(conn)
        ensure_demo_meeting(conn, today=date.today())
    host, port = host or settings.host, port or settings.port
    typer.echo(f"デモ用アカウント（http://{host}:{port}/login）:")
    for name, role, password, resources in accounts:
        listings = f"  担当の社会資源: {', '.join(resources)}" if resources else ""
        typer.echo(f"  {ROLE_LABELS[role]:　<8} アカウント名 {name:<12} パスワード {password}{listings}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="待ち受けるアドレス")] = None,
    port: Annotated[int | None, typer.Option(help="待ち受けるポート")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=8,
            help="サーバーのプロセス数（コア数までが目安。1プロセスで接続を pool_max_size 本使います）",
        ),
    ] = 1,
) -> None:
    """Web 画面と API を起動します。"""
    import uvicorn

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    typer.echo(f"参加支援マッチング: http://{host}:{port}/ で起動します（止めるには Ctrl+C）")
    # Links in mails point where this server answers, unless MATCHER_BASE_URL says otherwise (a proxy).
    os.environ.setdefault("MATCHER_BASE_URL", f"http://{host}:{port}")
    get_settings.cache_clear()
    # Each process builds the app from the same environment (the domain never imports the web layer).
    # Forwarded headers are read by the app itself, only from MATCHER_TRUSTED_PROXIES: uvicorn's own
    # handling would trust any client on loopback.
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
    )


BackupFileArg = Annotated[Path, typer.Argument(help="バックアップのファイル", show_default=False)]


@app.command()
def backup(file: BackupFileArg) -> None:
    """データベース全体を1つのファイル（pg_dump のカスタム形式）に書き出します。個人情報を含みます。"""
    from matcher import backup as backups

    try:
        summary = backups.backup(get_settings(), file, echo=lambda line: typer.echo(line, err=True))
    except (backups.BackupError, db.DatabaseError) as exc:
        fail([str(exc)])
    size = backups.human_size(summary.size)
    typer.echo(f"バックアップを書き出しました: {summary.path}（{size}、{summary.figures()}）")
    for line in summary.table_lines():
        typer.echo(line)


@app.command()
def restore(
    file: BackupFileArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="今のデータを置き換えてよいか確認しない")] = False,
) -> None:
    """matcher backup のファイルからデータベース全体を復元します。失敗したときは元のままです。"""
    from matcher import backup as backups

    def confirm(name: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            fail([f"データベース {name} の今のデータをすべて置き換えます。よければ --yes を付けてください。"])
        return typer.confirm(f"データベース {name} の今のデータをすべて置き換えます。よろしいですか？")

    try:
        summary = backups.restore(
            get_settings(), file, echo=lambda line: typer.echo(line, err=True), confirm=confirm
        )
    except (backups.BackupError, db.DatabaseError) as exc:
        fail([str(exc)])
    typer.echo(f"復元しました: {summary.path}（{summary.figures()}）")
    for line in summary.table_lines() + summary.notes:
        typer.echo(line)


report_app = typer.Typer(help="自治体への報告（実績）", no_args_is_help=True)
app.add_typer(report_app, name="report")


@report_app.command("kpi")
def report_kpi(
    fiscal_year: Annotated[
        int | None,
        typer.Option(min=2000, max=2100, help="年度（例: 2026 は 2026-04-01〜2027-03-31）。省略時は今年度"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON で出力")] = False,
) -> None:
    """年度の実績（domain.md §10 の指標）と月別の内訳、管理者が決めた目標と達成率を出します。"""
    from datetime import datetime

    from matcher.errors import Invalid
    from matcher.reports import kpi

    year = fiscal_year if fiscal_year is not None else kpi.fiscal_year_of(datetime.now(kpi.JST))
    try:
        with db.connect(get_settings()) as conn:
            result = kpi.report(conn, fiscal_year=year)
            goals = kpi.targets(conn, fiscal_year=year)
    except (Invalid, db.DatabaseError) as exc:
        fail([str(exc)])
    if as_json:
        sys.stdout.write(json.dumps(result.document(), ensure_ascii=False) + "\n")
        return
    for line in kpi.text_table(result, goals):
        typer.echo(line)


if __name__ == "__main__":  # `python -m matcher.cli`: how the batch starts its local workers
    app()
