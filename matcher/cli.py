"""The `matcher` command."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from matcher import db
from matcher.config import get_settings
from matcher.importing import ImportRejected
from matcher.profiles.store import iter_profiles
from matcher.registry.store import iter_resources

app = typer.Typer(help="参加支援マッチング", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="データベース", no_args_is_help=True)
import_app = typer.Typer(help="ファイルの取り込み", no_args_is_help=True)
export_app = typer.Typer(help="JSON Lines での書き出し", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")

FileArg = Annotated[Path, typer.Argument(help="読み込むファイル", show_default=False)]


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
        with db.connect(settings, up_to_date=False) as conn:
            applied = db.migrate(conn)
    except db.DatabaseError as exc:
        fail([str(exc)])
    typer.echo(f"適用: {', '.join(applied)}" if applied else "スキーマは最新です")


@import_app.command("resources")
def import_resources(file: FileArg) -> None:
    """社会資源（.jsonl / .csv）を id で追加・更新します。1行でも誤りがあれば何も書きません。"""
    from matcher.registry.importer import import_resources as run

    _run_import(lambda conn: run(conn, read_file(file), file.name), file)


@import_app.command("profiles")
def import_profiles(file: FileArg) -> None:
    """ニーズプロファイル（.jsonl / .csv）を id で追加・更新します。個人情報チェックあり。"""
    from matcher.profiles.importer import import_profiles as run

    _run_import(lambda conn: run(conn, read_file(file), file.name), file)


@import_app.command("wamnet")
def import_wamnet(
    file: FileArg,
    city: Annotated[
        str | None, typer.Option(help="指定機関の市区町村コード（5桁/6桁）または市区町村名で絞り込み")
    ] = None,
) -> None:
    """WAM NET オープンデータのCSVを既存事業の社会資源として取り込みます。"""
    from matcher.registry.importer import import_wamnet as run

    _run_import(lambda conn: run(conn, read_file(file), file.name, city=city), file)


def _run_import(run, file: Path) -> None:  # type: ignore[no-untyped-def]
    settings = get_settings()
    try:
        with db.connect(settings) as conn:
            lines = run(conn)
    except ImportRejected as exc:
        fail([str(exc), *exc.lines(settings.max_import_errors_shown)])
    except db.DatabaseError as exc:
        fail([str(exc)])
    for line in lines:
        typer.echo(line)


@export_app.command("resources")
def export_resources() -> None:
    """社会資源を JSON Lines で標準出力に書き出します（そのまま取り込み直せます）。"""
    with db.connect(get_settings()) as conn:
        for resource in iter_resources(conn):
            sys.stdout.write(resource.model_dump_json() + "\n")


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

    _run_import(lambda conn: load_seeds(conn, get_settings().seeds_dir), Path("seeds"))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="待ち受けるアドレス")] = None,
    port: Annotated[int | None, typer.Option(help="待ち受けるポート")] = None,
) -> None:
    """Web 画面と API を起動します。"""
    import uvicorn

    from web.app import create_app

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    typer.echo(f"参加支援マッチング: http://{host}:{port}/ で起動します（止めるには Ctrl+C）")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
