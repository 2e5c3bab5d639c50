"""Accounts from the command line: `matcher user create` prints a token that works once stored."""

import psycopg

from matcher.accounts.users import user_for_token
from tests.conftest import Cli


def test_user_create_prints_a_working_token_and_stores_only_its_hash(
    seeded_cli: Cli, seeded_conn: psycopg.Connection
) -> None:
    result = seeded_cli("user", "create", "--role", "provider", "--name", "縁側カフェ", "--resource", "r01")
    assert result.exit_code == 0, result.stderr
    token = result.stdout.strip()
    user = user_for_token(seeded_conn, token)
    assert user is not None and user.role == "provider" and user.resource_ids == {"r01"}
    stored = [row[0] for row in seeded_conn.execute("select token_hash from api_token")]
    assert token not in stored


def test_bad_accounts_are_refused_with_a_reason(seeded_cli: Cli) -> None:
    seeded_cli("user", "create", "--role", "coordinator", "--name", "same")
    cases = [
        (["--role", "coordinator", "--name", "same"], "すでにあります"),
        (["--role", "boss", "--name", "x"], "役割「boss」はありません"),
        (["--role", "provider", "--name", "y", "--resource", "nothing"], "社会資源がありません: nothing"),
        (["--role", "coordinator", "--name", "z", "--resource", "r01"], "受け入れ先（provider）"),
    ]
    for args, message in cases:
        result = seeded_cli("user", "create", *args)
        assert result.exit_code != 0
        assert message in result.stderr, result.stderr
