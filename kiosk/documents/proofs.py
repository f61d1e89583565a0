"""A4 proofs: the criminal-record, household, residence, kinship, birth and death
registration certificates, one template: each kind's title and wording are the city
pack's (`[documents.<kind>]`), its details (an address, a relation, dates) the
backend's, bound to the signed code by its digest (`d`).

Each carries a signed QR code (wire/proof.py), an 8-character verification code,
a print counter, a watermark line naming the issuer, the permitted use and the
validity, and a faint background pattern. Every font is embedded (subset).
"""

from __future__ import annotations

import functools
import io
import math
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import segno
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from kiosk.citypack import CityPack
from kiosk.documents.fonts import MAIN, FontSet, fonts
from kiosk.documents.keys import IssuingKey
from kiosk.documents.typeset import draw, paragraph
from kiosk.privacy import mask_id_number
from kiosk.strings import Catalogue, catalogue
from wire import crypto
from wire.proof import (
    DOCUMENT_TYPES,
    ProofPayload,
    decode,
    details_digest,
    encode,
    holder_name,
    id_number_hmac,
    verification_code,
)

KINDS = {kind: short for short, kind in DOCUMENT_TYPES.items()}  # criminal_record: cr
SEAL_RED = Color(0.8, 0.1, 0.1)
PATTERN = Color(0.55, 0.7, 0.85, alpha=0.35)
WATERMARK = Color(0.5, 0.5, 0.5, alpha=0.12)


@dataclass(frozen=True)
class ProofRequest:
    """What the backend's reply says about the citizen and the proof."""

    kind: str  # wire.proof.DOCUMENT_TYPES: criminal_record, household, residence, kinship, ...
    serial: str
    name: str
    sex: str
    id_number: str
    use: str
    issued: date
    print_count: int = 1
    # what the body states beyond the holder: address, since, relation (a code), ...
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedProof:
    pdf: bytes
    code_text: str  # what the QR code holds
    verification_code: str
    payload: ProofPayload


def issue(
    request: ProofRequest,
    key: IssuingKey,
    pack: CityPack,
    lang: str = "zh_CN",
    strings: Catalogue | None = None,
) -> IssuedProof:
    """Sign and render a certificate; its wording, validity and issuer come from the pack."""
    strings = strings or catalogue()
    payload = payload_of(request, key, pack)
    code_text = encode(payload, key.private)
    code = verification_code(code_text)
    pdf = _render(request, payload, code_text, code, pack, lang, strings, fonts())
    return IssuedProof(pdf, code_text, code, payload)


def payload_of(request: ProofRequest, key: IssuingKey, pack: CityPack) -> ProofPayload:
    """What the proof's code says: the holder masked, the ID number keyed, the
    validity from the pack's rules."""
    rules = pack.documents[request.kind]
    return ProofPayload(
        t=KINDS[request.kind],
        s=request.serial,
        n=holder_name(request.name),
        h=id_number_hmac(key.hmac_key, request.id_number, key.suite),
        u=request.use,
        i=request.issued.strftime("%Y%m%d"),
        e=(request.issued + timedelta(days=rules.valid_days)).strftime("%Y%m%d"),
        k=key.key_id,
        c=request.print_count,
        d=details_digest(request.details, key.suite) if request.details else None,
    )


@dataclass(frozen=True)
class Holder:
    """Whom the proof is about, as the terminal read it from the ID card."""

    name: str
    sex: str
    id_number: str


class WrongHolder(ValueError):
    """The backend's code names someone else than the card on the reader."""


class WrongDetails(ValueError):
    """The details handed with a code are not the ones it signed, or not all that the
    kind's wording states."""


def render_issued(
    code_text: str,
    holder: Holder,
    trusted: dict[str, crypto.PublicKey],
    pack: CityPack,
    lang: str = "zh_CN",
    strings: Catalogue | None = None,
    details: Mapping[str, str] | None = None,
) -> IssuedProof:
    """The PDF of a proof the backend signed: its code is checked against the issuer
    keys first (a forged or damaged answer is never printed), must name the holder of
    the card on the reader, and must sign the `details` the backend sent with it."""
    payload = decode(code_text, trusted)
    if payload.n != holder_name(holder.name):
        raise WrongHolder(f"the proof names {payload.n}, the card {holder_name(holder.name)}")
    details = dict(details or {})
    suite = crypto.suite(trusted[payload.k].suite)
    if payload.d != (details_digest(details, suite) if details else None):
        raise WrongDetails("the details are not the ones the code signed")
    request = ProofRequest(
        kind=DOCUMENT_TYPES[payload.t],
        serial=payload.s,
        name=holder.name,
        sex=holder.sex,
        id_number=holder.id_number,
        use=payload.u,
        issued=payload.issued,
        print_count=payload.c,
        details=details,
    )
    code = verification_code(code_text)
    strings = strings or catalogue()
    pdf = _render(request, payload, code_text, code, pack, lang, strings, fonts())
    return IssuedProof(pdf, code_text, code, payload)


def _render(
    request: ProofRequest,
    payload: ProofPayload,
    code_text: str,
    code: str,
    pack: CityPack,
    lang: str,
    strings: Catalogue,
    faces: FontSet,
) -> bytes:
    def t(message_id: str, **params: object) -> str:
        return strings.text(message_id, lang, **params)

    rules, issuer, known = pack.documents[request.kind], pack.issuer, strings.ids()
    buffer = io.BytesIO()
    # initialFontName: without it reportlab writes a Helvetica it does not embed.
    page = Canvas(buffer, pagesize=A4, initialFontName=MAIN, pageCompression=1)
    page.setTitle(t(rules.title))
    page.setAuthor(issuer)
    width, height = A4
    left, right = 25 * mm, width - 25 * mm
    expires = payload.expires.isoformat()
    _background(page, width, height)
    _watermark(
        page,
        width,
        height,
        t("documents.proof.watermark", issuer=issuer, use=request.use, date=expires),
        faces,
    )

    draw(
        page,
        right,
        height - 20 * mm,
        t("documents.proof.serial", serial=request.serial),
        9,
        faces,
        "right",
    )
    draw(
        page,
        width / 2,
        height - 45 * mm,
        t(rules.title),
        24,
        faces,
        "center",
    )
    if lang != "en":  # the English title under the Chinese one, for foreign readers
        draw(
            page,
            width / 2,
            height - 54 * mm,
            strings.text(rules.title, "en"),
            11,
            faces,
            "center",
        )
    body = t(rules.body, **_stated(request, t(rules.body), lambda i: t(i) if i in known else None))
    y = paragraph(
        page, left, height - 75 * mm, "\u3000\u3000" + body, right - left, 14, faces, leading=1.9
    )
    y = paragraph(
        page,
        left,
        y - 4 * mm,
        "\u3000\u3000" + t("documents.proof.closing"),
        right - left,
        14,
        faces,
    )
    paragraph(
        page, left, y - 6 * mm, t("documents.proof.use", use=request.use), right - left, 12, faces
    )

    issuer_y = 105 * mm
    for i, line in enumerate(
        t("documents.proof.issuer_date", issuer=issuer, date=request.issued.isoformat()).split("\n")
    ):
        draw(page, right - 10 * mm, issuer_y - i * 8 * mm, line, 13, faces, "right")
    _seal(page, right - 35 * mm, issuer_y - 2 * mm, issuer, faces)

    qr_size = 38 * mm
    draw_qr(page, code_text, left, 26 * mm, qr_size)
    text_x = left + qr_size + 6 * mm
    for i, line in enumerate(
        (
            t("documents.proof.code", code=code),
            t("documents.proof.valid_until", date=expires),
            t("documents.proof.prints", count=request.print_count),
        )
    ):
        draw(page, text_x, 62 * mm - i * 7 * mm, line, 11, faces)
    paragraph(page, text_x, 38 * mm, t("documents.proof.how_to_verify"), right - text_x, 9, faces)
    page.setFillColor(Color(0.3, 0.3, 0.3))
    draw(
        page,
        width / 2,
        18 * mm,
        t("documents.proof.watermark", issuer=issuer, use=request.use, date=expires),
        9,
        faces,
        "center",
    )
    page.showPage()
    page.save()
    return buffer.getvalue()


def _stated(
    request: ProofRequest, wording: str, word: Callable[[str], str | None]
) -> dict[str, str]:
    """The body's fields: the holder as the card says (the ID number masked), the
    backend's details with the relation in words; WrongDetails if the kind's wording
    states something not given (never a body with "{address}" printed in it)."""
    stated = {**request.details, "name": request.name, "sex": request.sex,
              "id_number": mask_id_number(request.id_number),
              "date": request.issued.isoformat()}  # fmt: skip
    if "relation" in request.details:
        worded = word(f"documents.proof.relation.{request.details['relation']}")
        if worded is None:
            raise WrongDetails(f"no words for the relation {request.details['relation']!r}")
        stated["relation"] = worded
    missing = {name for _, name, _, _ in string.Formatter().parse(wording) if name} - set(stated)
    if missing:
        raise WrongDetails(f"the {request.kind} proof states {sorted(missing)}, not given")
    return stated


def qr_modules(text: str) -> list[list[bool]]:
    """The QR code's dark modules, error correction M (15 % of the code can be lost)."""
    code = segno.make_qr(text, error="m", boost_error=False)
    return [[bool(module) for module in row] for row in code.matrix]


def draw_qr(page: Canvas, text: str, x: float, y: float, size: float) -> None:
    """Drawn as runs of dark modules (reportlab's widget would add an unembedded font)."""
    modules = qr_modules(text)
    quiet = 4  # the blank border a scanner needs
    cell = size / (len(modules) + 2 * quiet)
    page.saveState()
    page.setFillColor(Color(1, 1, 1))
    page.rect(x, y, size, size, stroke=0, fill=1)
    page.setFillColor(Color(0, 0, 0))
    rects = []  # written as PDF operators: reportlab's path objects are slow per number
    for row, line in enumerate(modules):
        col = 0
        while col < len(line):
            if not line[col]:
                col += 1
                continue
            start = col
            while col < len(line) and line[col]:
                col += 1
            left, bottom = x + (start + quiet) * cell, y + size - (row + quiet + 1) * cell
            rects.append(f"{left:.3f} {bottom:.3f} {(col - start) * cell:.3f} {cell:.3f} re")
    page._code.append(" ".join(rects) + " f")
    page.restoreState()


def _background(page: Canvas, width: float, height: float) -> None:
    """A faint guilloche: interleaved sine bands that a photocopy smears."""
    page.saveState()
    page.setStrokeColor(PATTERN)
    page.setLineWidth(0.25)
    # The same few thousand segments on every page: written once as PDF path
    # operators and reused (reportlab's own path objects format each number slowly).
    page._code.append(_guilloche(round(width), round(height)))
    page.restoreState()


@functools.cache
def _guilloche(width: int, height: int) -> str:
    ops = []
    for band in range(0, height, 18):
        for phase in (0.0, math.pi / 2):
            points = [f"0 {band} m"]
            for step in range(1, 61):
                x = width * step / 60
                points.append(f"{x:.1f} {band + 5 * math.sin(x / 11 + phase + band / 40):.1f} l")
            ops.append(" ".join(points) + " S")
    return "\n".join(ops)


def _watermark(page: Canvas, width: float, height: float, text: str, faces: FontSet) -> None:
    page.saveState()
    page.setFillColor(WATERMARK)
    page.translate(width / 2, height / 2)
    page.rotate(35)
    for row in range(-6, 7):
        draw(page, 0, row * 42, text, 13, faces, "center")
    page.restoreState()


def _seal(page: Canvas, x: float, y: float, issuer: str, faces: FontSet) -> None:
    """The office's round seal, drawn (a real seal is applied by the issuer's key)."""
    page.saveState()
    page.setStrokeColor(SEAL_RED)
    page.setFillColor(SEAL_RED)
    page.setLineWidth(2)
    radius = 20 * mm
    page.circle(x, y, radius, stroke=1, fill=0)
    star = page.beginPath()
    for i in range(10):
        r = 5 * mm if i % 2 == 0 else 2 * mm
        angle = math.pi / 2 + i * math.pi / 5
        point = (x + r * math.cos(angle), y + r * math.sin(angle))
        star.moveTo(*point) if i == 0 else star.lineTo(*point)
    star.close()
    page.drawPath(star, stroke=0, fill=1)
    chars = list(issuer)
    spread = min(math.pi * 1.3, len(chars) * 0.28)
    for i, char in enumerate(chars):
        angle = math.pi / 2 + spread / 2 - (spread * i / max(1, len(chars) - 1))
        page.saveState()
        page.translate(
            x + (radius - 6 * mm) * math.cos(angle), y + (radius - 6 * mm) * math.sin(angle)
        )
        page.rotate(math.degrees(angle) - 90)
        draw(page, 0, 0, char, 11, faces, "center")
        page.restoreState()
    page.restoreState()
