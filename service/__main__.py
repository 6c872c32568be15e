"""``python -m service hash-password NAME``: print a ``name:hash`` entry for ``FAQBOT_STAFF_USERS``.

The password is read from the terminal (twice) or from standard input. Exit codes: 0 done; 2 the password is
too short or the name is not usable.
"""

from __future__ import annotations

import argparse
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m service", description="Tools for running the clinic's FAQ bot.")
    sub = parser.add_subparsers(dest="command", required=True)
    hp = sub.add_parser(
        "hash-password",
        help="print a 'name:hash' entry for FAQBOT_STAFF_USERS (the password is read from the terminal or stdin)",
    )
    hp.add_argument("name", help="the staff member's user name")
    return parser


def _hash_password(name: str) -> int:
    import getpass

    from service.staff_auth import PasswordTooShort, check_password_strength, hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Encore une fois : ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        check_password_strength(password)
    except PasswordTooShort as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not name or any(ch in name for ch in ":,;\n") or name != name.strip():
        print("error: a user name cannot contain ':', ',', ';' or surrounding spaces", file=sys.stderr)
        return 2
    print(f"{name}:{hash_password(password)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return _hash_password(args.name)


if __name__ == "__main__":
    sys.exit(main())
