"""`kiosk-backend serve` and `kiosk-backend code`: run the backend, make an
enrolment code for a technician. `kiosk-backend purge`: the retention purge, which
`serve` also runs once a day (backend/retention.py).

`serve --tls-cert FILE --tls-key FILE` serves HTTPS: terminals refuse plain http
except on loopback, and trust only the police CA pinned at their enrolment."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from wire import crypto

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.engine import Engine

    from backend.limits import Limits
    from backend.retention import Retention

DEFAULT_DATA = Path("var/backend")
KEY_TABLES_MAX = 1_000_000  # 80 GB of tables: beyond any machine this runs on


def _db_url(args: argparse.Namespace) -> str:
    from backend.storage import private_dir

    _storage_warnings_on_stderr()
    private_dir(args.data)  # 0700: issuer keys, the vault's keys, the SQLite file
    return args.db or f"sqlite:///{(args.data / 'backend.db').resolve()}"


class _Warning(logging.Handler):
    """A warning of the backend's storage (a file found open to others, tightened) as
    one line of the command's own on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"kiosk-backend: warning: {record.getMessage()}", file=sys.stderr, flush=True)


def _storage_warnings_on_stderr() -> None:
    storage = logging.getLogger("backend.storage")
    if not any(isinstance(handler, _Warning) for handler in storage.handlers):
        storage.addHandler(_Warning(logging.WARNING))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", metavar="URL", help="sqlite:///FILE or postgresql://...; default: DATA/backend.db"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        metavar="DIR",
        help="issuer keys and the default SQLite file (default: var/backend)",
    )


class ServeCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser("serve", help="run the backend and the fleet console")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8470)
        parser.add_argument("--workers", type=int, default=1, help="API processes")
        parser.add_argument(
            "--gateway-simulator", action="store_true",
            help="mount the QR micropay gateway simulator (development and tests only)",
        )  # fmt: skip
        parser.add_argument(
            "--trusted-proxy", action="append", default=[], metavar="ADDRESS",
            help="a reverse proxy whose X-Forwarded-For names the client (repeatable)",
        )  # fmt: skip
        parser.add_argument(
            "--unthrottled", action="append", default=[], metavar="ADDRESS",
            help="an address the per-address rate limits do not count (repeatable)",
        )  # fmt: skip
        parser.add_argument(
            "--docs", action="store_true",
            help="serve Swagger UI at /docs (it loads from a public CDN: development only)",
        )  # fmt: skip
        parser.add_argument(
            "--crypto-suite", choices=crypto.NAMES, default=crypto.DEFAULT,
            help="the deployment's crypto suite: gm (SM2, SM3, SM4; the default) or intl "
            "(Ed25519, SHA-256, AES); terminals enrolled before keep theirs",
        )  # fmt: skip
        parser.add_argument(
            "--key-tables", type=int, default=crypto.KEY_TABLES_AT_MOST, metavar="N",
            help="terminals' SM2 keys each API process keeps precomputed tables for, 80 KB "
            "each, to check their signatures twice as fast "
            f"(default {crypto.KEY_TABLES_AT_MOST:,}; 0: none)",
        )  # fmt: skip
        parser.add_argument(
            "--followup-days", type=float, default=3.0, metavar="DAYS",
            help="a rating of 1-2 stars opens a follow-up due this many days later (default 3)",
        )  # fmt: skip
        parser.add_argument(
            "--city-pack",
            type=Path,
            metavar="DIR",
            help="the city pack folder terminals pull (config)",
        )
        parser.add_argument(
            "--tls-cert", type=Path, metavar="FILE",
            help="serve HTTPS with this certificate (PEM, its chain after it); with --tls-key",
        )  # fmt: skip
        parser.add_argument(
            "--tls-key", type=Path, metavar="FILE",
            help="the certificate's private key (PEM, not encrypted); with --tls-cert",
        )  # fmt: skip
        _retention_flags(parser)
        _common(parser)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        import uvicorn

        from backend.app import Settings, create_app
        from backend.retention import Purger, RetentionError

        if not 0 < args.port < 65536:
            print(f"kiosk-backend: --port {args.port} is not a port", file=sys.stderr)
            return 2
        if args.city_pack is not None and not args.city_pack.is_dir():
            print(f"kiosk-backend: --city-pack {args.city_pack}: not a folder", file=sys.stderr)
            return 2
        if not 0 <= args.key_tables <= KEY_TABLES_MAX:
            print(f"kiosk-backend: --key-tables {args.key_tables}: from 0 to {KEY_TABLES_MAX:,}",
                  file=sys.stderr)  # fmt: skip
            return 2
        if not 0 < args.followup_days <= 365:
            print(f"kiosk-backend: --followup-days {args.followup_days}: more than 0, at most 365",
                  file=sys.stderr)  # fmt: skip
            return 2
        problem = _tls_problem(args.tls_cert, args.tls_key)
        if problem:
            print(f"kiosk-backend: {problem}", file=sys.stderr)
            return 2
        try:
            retention = _retention(args)
        except RetentionError as exc:
            print(f"kiosk-backend: {exc}", file=sys.stderr)
            return 2
        try:
            settings = Settings(_db_url(args), args.data, args.city_pack, api_docs=args.docs,
                                gateway_simulator=args.gateway_simulator,
                                crypto_suite=args.crypto_suite,
                                followup_due_s=args.followup_days * 86400,
                                limits=_limits(",".join(args.trusted_proxy),
                                               ",".join(args.unthrottled)))  # fmt: skip
            app = create_app(settings)  # migrates and seeds once, before any worker starts
        except Exception as exc:  # a bad URL, an unreachable database, a bad key file
            print(f"kiosk-backend: cannot start: {_line(exc)}", file=sys.stderr)
            return 1
        from backend.operators import any_accounts

        nobody = not any_accounts(app.state.engine)
        os.environ.update(
            KIOSK_BACKEND_DB=settings.db_url,
            KIOSK_BACKEND_DATA=str(args.data),
            KIOSK_BACKEND_CITY_PACK=str(args.city_pack or ""),
            KIOSK_BACKEND_DOCS="1" if args.docs else "",
            KIOSK_BACKEND_GATEWAY="1" if args.gateway_simulator else "",
            KIOSK_BACKEND_TRUSTED_PROXIES=",".join(args.trusted_proxy),
            KIOSK_BACKEND_UNTHROTTLED=",".join(args.unthrottled),
            KIOSK_BACKEND_CRYPTO_SUITE=args.crypto_suite,
            KIOSK_BACKEND_FOLLOWUP_DAYS=str(args.followup_days),
            KIOSK_BACKEND_KEY_TABLES=str(args.key_tables),
        )
        scheme = "https" if args.tls_cert else "http"
        print(f"fleet console: {scheme}://{args.host}:{args.port}/console", flush=True)
        if nobody:
            print("no console account yet: kiosk-backend user add NAME --role administrator",
                  flush=True)  # fmt: skip
        for warning in _tls_warnings(args.tls_cert, args.tls_key, args.host):
            print(f"kiosk-backend: warning: {warning}", file=sys.stderr, flush=True)
        # one purger for the whole backend, here rather than in each API process
        purger = Purger(app.state.engine, retention, report=_say)
        purger.start()
        try:
            uvicorn.run(
                "backend.serve:from_environment",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                log_level="warning",
                # its lines are INFO, below the level: off, uvicorn no longer works out
                # each request's address and path only for the logger to drop them
                access_log=False,
                timeout_keep_alive=30,
                ssl_certfile=args.tls_cert,
                ssl_keyfile=args.tls_key,
                # the scheme a trusted proxy says (https): the session cookie is Secure.
                # Without --trusted-proxy no header is believed: uvicorn's default would
                # trust X-Forwarded-For from loopback, and a client behind a TCP-level
                # TLS proxy on this machine would pick the address the limits count
                proxy_headers=bool(args.trusted_proxy),
                forwarded_allow_ips=",".join(args.trusted_proxy) or None,
            )
        finally:
            purger.stop()
        return 0


def from_environment() -> FastAPI:
    """The app of one API process (uvicorn's factory; `serve` set the environment)."""
    from backend.app import Settings, create_app

    pack = os.environ.get("KIOSK_BACKEND_CITY_PACK") or None
    crypto.keep_key_tables(int(os.environ.get("KIOSK_BACKEND_KEY_TABLES") or
                               crypto.KEY_TABLES_AT_MOST))  # fmt: skip
    return create_app(Settings(
        os.environ["KIOSK_BACKEND_DB"], Path(os.environ["KIOSK_BACKEND_DATA"]),
        Path(pack) if pack else None,
        api_docs=bool(os.environ.get("KIOSK_BACKEND_DOCS")),
        gateway_simulator=bool(os.environ.get("KIOSK_BACKEND_GATEWAY")),
        crypto_suite=os.environ.get("KIOSK_BACKEND_CRYPTO_SUITE") or crypto.DEFAULT,
        followup_due_s=float(os.environ.get("KIOSK_BACKEND_FOLLOWUP_DAYS") or 3) * 86400,
        limits=_limits(os.environ.get("KIOSK_BACKEND_TRUSTED_PROXIES", ""),
                       os.environ.get("KIOSK_BACKEND_UNTHROTTLED", "")),
    ))  # fmt: skip


class PurgeCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser(
            "purge", help="delete applications and photos past their retention (serve: daily)"
        )
        _retention_flags(parser)
        _common(parser)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        import getpass

        from backend.db import make_engine, migrate
        from backend.retention import RetentionError, audit_purge, purge

        try:
            retention = _retention(args)
        except RetentionError as exc:
            print(f"kiosk-backend: {exc}", file=sys.stderr)
            return 2
        engine = None
        try:
            engine = make_engine(_db_url(args))
            migrate(engine)
            now = time.time()
            purged = purge(engine, retention, now)
            audit_purge(engine, purged, retention, now, "cli", getpass.getuser())
        except Exception as exc:  # a bad URL, an unreachable database, a busy one
            print(f"kiosk-backend: cannot purge: {_line(exc)}", file=sys.stderr)
            return 1
        finally:
            if engine is not None:
                engine.dispose()
        print(purged.line())
        return 0


class CodeCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser("code", help="make a one-time enrolment code (valid 24 h)")
        _common(parser)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        from backend.terminals import new_code

        engine = open_database(args)
        if engine is None:
            return 1
        made = new_code(engine, time.time())
        _audit(engine, "enrolment_code", made.code[:4] + "-…")
        print(made.code)
        return 0


class RevokeCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser("revoke", help="refuse every request of a terminal from now on")
        parser.add_argument("terminal")
        _common(parser)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        from sqlalchemy.orm import Session

        from backend.db import Terminal, make_engine

        with Session(make_engine(_db_url(args))) as db:
            terminal = db.get(Terminal, args.terminal)
            if terminal is None:
                print(f"kiosk-backend: no terminal {args.terminal}", file=sys.stderr)
                return 1
            terminal.revoked_at = terminal.revoked_at or time.time()
            db.commit()
        _audit(make_engine(_db_url(args)), "revoke", args.terminal)
        print(f"{args.terminal} revoked")
        return 0


def open_database(args: argparse.Namespace) -> Engine | None:
    """The database of `--db`/`--data`, migrated; None after one line saying why not."""
    from backend.db import make_engine, migrate

    try:
        engine = make_engine(_db_url(args))
        migrate(engine)
    except Exception as exc:
        print(f"kiosk-backend: cannot open the database: {_line(exc)}", file=sys.stderr)
        return None
    return engine


def _audit(engine: Engine, action: str, target: str) -> None:
    """An operator's action from the command line, in the audit log under the
    system account that ran it."""
    import getpass

    from sqlalchemy.orm import Session

    from backend.audit import audit

    with Session(engine) as db, db.begin():
        audit(db, time.time(), "cli", getpass.getuser(), action, target)


def _retention_flags(parser: argparse.ArgumentParser) -> None:
    """The retention flags of `serve` and `purge`; their defaults are Retention's
    (backend/retention.py says why), imported only when a command runs."""
    for flag, what, default in (
        ("--keep-applications-days", "applications", 90),
        ("--keep-photos-days", "ID photos", 180),
        ("--keep-logs-days", "the terminals' security logs and cleared alerts (180 or more)",
         365),
    ):  # fmt: skip
        parser.add_argument(flag, type=int, metavar="N",
                            help=f"days {what} are kept (default {default})")  # fmt: skip


def _retention(args: argparse.Namespace) -> Retention:
    """The flags given, over Retention's defaults; RetentionError names a bad one."""
    from backend.retention import Retention

    given = {"applications_days": args.keep_applications_days,
             "photos_days": args.keep_photos_days, "logs_days": args.keep_logs_days}  # fmt: skip
    return Retention(**{name: days for name, days in given.items() if days is not None})


def _say(line: str) -> None:
    print(f"kiosk-backend: {line}", flush=True)


def _tls_problem(cert: Path | None, key: Path | None) -> str | None:
    """Why this certificate and key cannot serve HTTPS, in one line; None when they
    can, or when neither is given (plain http)."""
    if (cert is None) != (key is None):
        return "--tls-cert and --tls-key go together: give both or neither"
    if cert is None or key is None:
        return None
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    try:
        leaf = x509.load_pem_x509_certificates(cert.read_bytes())[0]
    except OSError as exc:
        return f"--tls-cert {cert}: {exc.strerror}"
    except ValueError:
        return f"--tls-cert {cert}: not a certificate in PEM"
    try:
        private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    except OSError as exc:
        return f"--tls-key {key}: {exc.strerror}"
    except (ValueError, TypeError):  # TypeError: encrypted, it needs a password
        return f"--tls-key {key}: not an unencrypted private key in PEM"
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if private.public_key().public_bytes(*spki) != leaf.public_key().public_bytes(*spki):
        return f"--tls-key {key}: not the key of the certificate in {cert}"
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        return f"--tls-cert {cert}: cannot serve with it: {exc.reason or exc}"
    return None


def _tls_warnings(cert: Path | None, key: Path | None, host: str) -> list[str]:
    """What still lets the backend start but a technician should hear of."""
    import datetime as dt
    import ipaddress

    from cryptography import x509

    if cert is None or key is None:
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return []
        return [f"plain http on {host}: terminals refuse it off loopback (unless a TLS "
                "proxy is in front); give --tls-cert and --tls-key"]  # fmt: skip
    found = []
    expires = x509.load_pem_x509_certificates(cert.read_bytes())[0].not_valid_after_utc
    if expires < dt.datetime.now(dt.UTC):
        found.append(f"--tls-cert {cert} expired on {expires:%Y-%m-%d}: terminals refuse it")
    if key.stat().st_mode & 0o004:
        found.append(f"--tls-key {key} is readable by every user: chmod o= it")
    return found


def _limits(proxies: str, unthrottled: str) -> Limits:
    from backend.limits import Limits

    def addresses(text: str) -> frozenset[str]:
        return frozenset(a.strip() for a in text.split(",") if a.strip())

    return Limits(trusted_proxies=addresses(proxies), exempt=addresses(unthrottled))


def _line(exc: Exception) -> str:
    """One line: SQLAlchemy's messages carry a second line pointing at its website."""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
