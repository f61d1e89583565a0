"""`kiosk-backend serve` and `kiosk-backend code`: run the backend, make an
enrolment code for a technician."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy.engine import Engine

    from backend.limits import Limits

DEFAULT_DATA = Path("var/backend")


def _db_url(args: argparse.Namespace) -> str:
    args.data.mkdir(parents=True, exist_ok=True)
    return args.db or f"sqlite:///{(args.data / 'backend.db').resolve()}"


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
            "--city-pack",
            type=Path,
            metavar="DIR",
            help="the city pack folder terminals pull (config)",
        )
        _common(parser)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        import uvicorn

        from backend.app import Settings, create_app

        if not 0 < args.port < 65536:
            print(f"kiosk-backend: --port {args.port} is not a port", file=sys.stderr)
            return 2
        if args.city_pack is not None and not args.city_pack.is_dir():
            print(f"kiosk-backend: --city-pack {args.city_pack}: not a folder", file=sys.stderr)
            return 2
        settings = Settings(_db_url(args), args.data, args.city_pack, api_docs=args.docs,
                            gateway_simulator=args.gateway_simulator,
                            limits=_limits(",".join(args.trusted_proxy),
                                           ",".join(args.unthrottled)))  # fmt: skip
        try:
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
        )
        print(f"fleet console: http://{args.host}:{args.port}/console", flush=True)
        if nobody:
            print("no console account yet: kiosk-backend user add NAME --role administrator",
                  flush=True)  # fmt: skip
        uvicorn.run(
            "backend.serve:from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level="warning",
            timeout_keep_alive=30,
        )
        return 0


def from_environment() -> FastAPI:
    """The app of one API process (uvicorn's factory; `serve` set the environment)."""
    from backend.app import Settings, create_app

    pack = os.environ.get("KIOSK_BACKEND_CITY_PACK") or None
    return create_app(Settings(
        os.environ["KIOSK_BACKEND_DB"], Path(os.environ["KIOSK_BACKEND_DATA"]),
        Path(pack) if pack else None,
        api_docs=bool(os.environ.get("KIOSK_BACKEND_DOCS")),
        gateway_simulator=bool(os.environ.get("KIOSK_BACKEND_GATEWAY")),
        limits=_limits(os.environ.get("KIOSK_BACKEND_TRUSTED_PROXIES", ""),
                       os.environ.get("KIOSK_BACKEND_UNTHROTTLED", "")),
    ))  # fmt: skip


class CodeCommand:
    def register(self, sub: argparse._SubParsersAction) -> None:
        parser = sub.add_parser("code", help="make a one-time enrolment code (valid 24 h)")
        _common(parser)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        from backend.db import make_engine, migrate
        from backend.terminals import new_code

        try:
            engine = make_engine(_db_url(args))
            migrate(engine)
        except Exception as exc:
            print(f"kiosk-backend: cannot open the database: {_line(exc)}", file=sys.stderr)
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


def _audit(engine: Engine, action: str, target: str) -> None:
    """An operator's action from the command line, in the audit log under the
    system account that ran it."""
    import getpass

    from sqlalchemy.orm import Session

    from backend.audit import audit

    with Session(engine) as db, db.begin():
        audit(db, time.time(), "cli", getpass.getuser(), action, target)


def _limits(proxies: str, unthrottled: str) -> Limits:
    from backend.limits import Limits

    def addresses(text: str) -> frozenset[str]:
        return frozenset(a.strip() for a in text.split(",") if a.strip())

    return Limits(trusted_proxies=addresses(proxies), exempt=addresses(unthrottled))


def _line(exc: Exception) -> str:
    """One line: SQLAlchemy's messages carry a second line pointing at its website."""
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
