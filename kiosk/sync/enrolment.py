"""Enrolling the terminal with the backend: one routine for `kiosk enroll` and for
the commissioning screen of a first boot, so both keep the same rules.

The terminal makes its key pair in the configured crypto suite (`[crypto] suite`),
registers the public key under a technician's one-time code, pins the police CA
beside the identity file (https only), then writes the identity. Nothing is written
unless the backend said yes. The errors are the CLI's own (a message id each), so a
screen can say the same thing in its own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import KioskConfig
from kiosk.errors import KioskError, ServiceUnavailable, UsageError


class EnrollRefused(KioskError):
    """The backend said no (an unknown, used or expired code)."""


class EnrollUntrusted(KioskError):
    """The backend's certificate did not verify against the CA given: the terminal
    refused the backend (exit 1, like the backend refusing the terminal)."""


@dataclass(frozen=True)
class Enrolled:
    terminal_id: str
    backend_url: str
    identity_file: Path
    ca_file: Path | None  # the pinned police CA; none for http on loopback


def enrol(
    config: KioskConfig,
    url: str,
    code: str,
    ca: Path | None = None,
    force: bool = False,
    site: str | None = None,
) -> Enrolled:
    """Enrol with the backend at `url` under the one-time `code`; `ca` is the police CA
    certificate (PEM) an https backend needs; `site` the site it stands at (default
    `[terminal] site`; none: the backend takes it from the name). UsageError for a bad
    address, CA file or site, or an identity already there (unless `force`);
    ServiceUnavailable, EnrollRefused,
    EnrollUntrusted for what the backend (or its certificate) answered."""
    from pydantic import ValidationError

    from kiosk.sync.client import Refused, Unavailable, Untrusted, post_unsigned
    from kiosk.sync.identity import Identity, pin_ca
    from wire import __version__, crypto
    from wire.signing import public_key_text
    from wire.sync import SITE, EnrolmentReply, EnrolmentRequest

    url, pem = checked_backend(url, ca)
    path = config.backend.identity_file
    if path.exists() and not force:
        raise UsageError("enroll.already", file=str(path))
    where = " ".join((site if site is not None else config.terminal.site).split())
    if len(where) > 80 or (where and not re.match(SITE, where)):
        raise UsageError("enroll.bad_site", site=where[:40] + "…")
    key = crypto.suite(config.crypto.suite).generate_private_key()  # the deployment's
    request = EnrolmentRequest(
        code=code.strip().upper()[:32], public_key=public_key_text(key.public),
        name=config.terminal.name, software_version=__version__, site=where or None,
    )  # fmt: skip
    try:
        answer = post_unsigned(url.rstrip("/") + "/v1/enrol", request,
                               config.backend.timeout_s, ca)  # fmt: skip
        reply = EnrolmentReply.model_validate(answer)
    except Untrusted as exc:
        raise EnrollUntrusted("enroll.untrusted", url=url, detail=str(exc)) from None
    except Unavailable as exc:
        raise ServiceUnavailable("enroll.unreachable", url=url, detail=str(exc)) from None
    except Refused as exc:
        raise EnrollRefused("enroll.refused", code=exc.code, detail=exc.detail) from None
    except ValidationError:
        raise ServiceUnavailable("enroll.unreachable", url=url, detail="not a backend") from None
    pinned = pin_ca(path, pem) if pem is not None else None
    Identity(reply.terminal_id, url, key, pinned).save(path)
    return Enrolled(reply.terminal_id, url, path, pinned)


def checked_backend(url: str, ca: Path | None) -> tuple[str, bytes | None]:
    """The backend's address, checked, and the PEM of the CA to pin (https only)."""
    from pydantic import ValidationError

    from kiosk.config import BackendSection
    from kiosk.sync.identity import IdentityError, InsecureBackend, check_backend_url, read_ca

    try:
        check_backend_url(url)
    except InsecureBackend:
        raise UsageError("enroll.plain_http", url=url) from None
    try:
        checked = BackendSection(url=url).url or ""
    except ValidationError:
        raise UsageError("enroll.bad_url", url=url) from None
    if not checked.lower().startswith("https://"):
        if ca is not None:
            raise UsageError("enroll.ca_needs_https", url=checked)
        return checked, None
    if ca is None:
        raise UsageError("enroll.no_ca", url=checked)
    try:
        return checked, read_ca(ca)
    except IdentityError as exc:
        raise UsageError("enroll.bad_ca", detail=str(exc)) from None


def typed_code(text: str) -> str:
    """A code as a technician types it on the screen (spaces, lower case, no dashes)
    in the backend's form: four groups of four (backend/terminals.py new_code)."""
    plain = "".join(c for c in text.upper() if c.isalnum())
    if len(plain) == 16:
        return "-".join(plain[i : i + 4] for i in range(0, 16, 4))
    return text.strip().upper()
