"""The demo's accounts have passwords printed in the README; outside the demo (MATCHER_DEMO unset)
they must open nothing, whoever set them."""

from matcher.accounts.users import DEMO_ACCOUNTS

DEMO_PASSWORDS = frozenset(password for _name, _role, password, _listings in DEMO_ACCOUNTS)


def is_demo_password(password: str) -> bool:
    """True for one of the demo accounts' published passwords."""
    return password in DEMO_PASSWORDS
