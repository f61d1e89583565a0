"""`kiosk-backend user add|passwd|disable|list`: console accounts, made on the
backend's own machine (whoever can run this can read the database anyway).

The password is asked twice on a terminal, or read as the first line of standard
input in a script; never an argument (it would sit in the shell's history and in
every `ps` listing). Each change is in the audit log, by the system user who made it."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from typing import TYPE_CHECKING

from backend.serve import _common, open_database
from wire import crypto

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class UserCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser("user", help="console accounts: add, passwd, disable, list")
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                        parser_class=type(parser))  # fmt: skip
        add = actions.add_parser("add", help="a new account (asks for its password)")
        add.add_argument("name")
        add.add_argument("--role", required=True, choices=("viewer", "operator", "administrator"))
        passwd = actions.add_parser("passwd", help="a new password (its sessions end)")
        passwd.add_argument("name")
        disable = actions.add_parser("disable", help="no more sign-in (its sessions end)")
        disable.add_argument("name")
        actions.add_parser("list", help="the accounts, their roles and state")
        for action in (add, passwd, disable, actions.choices["list"]):
            _common(action)
        for action in (add, passwd):
            action.add_argument(
                "--crypto-suite", choices=crypto.NAMES,
                help="the password's hash is made in it (PBKDF2-HMAC-SM3 in gm, scrypt in "
                "intl); default: the suite serve last ran in (its vault's current key's)",
            )  # fmt: skip
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        from backend import operators

        engine = open_database(args)
        if engine is None:
            return 1
        now = time.time()
        try:
            if args.action == "list":
                return _list(engine)
            if args.action == "add":
                operators.add(engine, args.name, args.role, _password(), now, _suite(args))
            elif args.action == "passwd":
                operators.set_password(engine, args.name, _password(), now, _suite(args))
            else:
                operators.disable(engine, args.name, now)
        except (operators.AccountError, EOFError, KeyboardInterrupt) as exc:
            print(f"kiosk-backend: user {args.action}: {str(exc) or 'no password given'}",
                  file=sys.stderr)  # fmt: skip
            return 1
        _audit(engine, now, args)
        print(f"{args.name}: {args.action} done")
        return 0


def _suite(args: argparse.Namespace) -> str:
    """`--crypto-suite`, else the deployment's: the suite of the vault's current master
    key, which `serve` keeps in its own (before the first start: the default)."""
    from backend.vault import VaultError, load_vault

    if args.crypto_suite:
        return str(args.crypto_suite)
    try:
        return load_vault(args.data, suite=None, create=False).current_suite
    except VaultError:
        return crypto.DEFAULT


def _password() -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise EOFError("the two passwords differ")
    return first


def _list(engine: Engine) -> int:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from backend.db import Operator

    with Session(engine) as db:
        for account in db.scalars(select(Operator).order_by(Operator.name)):
            state = "disabled" if account.disabled_at else "active"
            print(f"{account.name}\t{account.role}\t{state}")
    return 0


def _audit(engine: Engine, now: float, args: argparse.Namespace) -> None:
    from sqlalchemy.orm import Session

    from backend.audit import audit

    detail = f"role {args.role}" if args.action == "add" else ""
    with Session(engine) as db, db.begin():
        audit(db, now, "cli", getpass.getuser(), f"user_{args.action}", args.name, detail)
