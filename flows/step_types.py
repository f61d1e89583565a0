"""The step types of specs/steps.md: parameters, devices, what the citizen does, result.

This one table drives the flow-file schema (flows/model.py), the engine, and the
screens. The device-free types are run by the engine itself; the others are
declared here and performed by the services that later issues add (the engine
asks for them with a `Perform` effect and waits for their completion).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from flows import results as r

MessageId = str  # a key of the message catalogue; checked at load


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: MessageId
    icon: str | None = None
    condition: str | None = None  # a rule (flows/rules.py): offered only when it holds


class ChooseParams(Params):
    options: list[Option] = Field(min_length=1)

    @field_validator("options")
    @classmethod
    def _unique(cls, options: list[Option]) -> list[Option]:
        ids = [o.id for o in options]
        doubled = sorted({i for i in ids if ids.count(i) > 1})
        if doubled:
            raise ValueError(f"option ids appear twice: {', '.join(doubled)}")
        return options


FieldKind = Literal["text", "digits", "phone", "id_number", "date", "address", "checkbox"]


class FormField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: FieldKind
    label: MessageId
    required: bool = True
    # Values are personal unless the flow says otherwise (privacy by default).
    personal: bool = True
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=1, le=500)
    # a value the session already holds (`step.field`: the phone on file, the card's
    # address): offered, masked, for one tap instead of typing; left empty, it is used
    known: str | None = None


class FormParams(Params):
    fields: list[FormField] = Field(min_length=1)


class Why(BaseModel):
    """The message that says why, chosen by a collected value (the backend's reason)."""

    model_config = ConfigDict(extra="forbid")
    by: str  # `step.field`, e.g. eligibility.data.reason
    table: dict[str, MessageId] = Field(min_length=1)


class InfoParams(Params):
    message: MessageId  # said when `why` has no entry for the reason
    referral: MessageId | None = None  # where to go instead
    why: Why | None = None
    # collected values the message's {placeholders} take, by their last name (a day the
    # document is ready, the site it waits at); never personal data: the screen shows them
    values: list[str] = Field(default_factory=list)


class ConfirmParams(Params):
    show: list[str] = Field(min_length=1)  # collected values, as `step` or `step.field`
    # the button's words where "all correct" does not fit (a result to read, not to check)
    button: MessageId | None = None


class ReadIdCardParams(Params):
    accepted: list[Literal["id_card", "foreigner_permanent", "hk_macau_resident"]] = ["id_card"]


class ReadChipParams(Params):
    document: Literal["passport", "hk_macau_permit", "taiwan_permit"]
    access_key_from: str  # the step whose result gives the chip's access key


CodeKind = Literal["payment_code", "photo_receipt", "appointment", "proof", "mrz", "pickup_notice"]


class ScanCodeParams(Params):
    accepted: list[CodeKind] = Field(min_length=1)


class ScanDocumentParams(Params):
    """A paper the citizen brings (a household register page, a letter), on the glass."""

    page: Literal["a4", "a5"] = "a4"
    resolution: int = Field(200, ge=75, le=600)  # dpi
    mode: Literal["color", "gray"] = "color"


class SignParams(Params):
    """The citizen's signature on the signature pad, for an application's form."""

    width: int = Field(600, ge=100, le=2400)  # px of the PNG the application takes
    height: int = Field(200, ge=50, le=1200)
    # the ink's path, in widths of the pad's signing box: a shorter one (a dot, a
    # tick) is refused and the citizen asked to sign in full
    min_length: float = Field(0.5, gt=0, le=20)


class CapturePhotoParams(Params):
    spec: str


class VerifyFaceParams(Params):
    # the step whose result holds the reference photo, or several: the first that
    # holds one (the card read, else the registry's photo for a lost card)
    reference: str | list[str] = Field(min_length=1)
    retries: int = Field(3, ge=0, le=10)


class FingerprintParams(Params):
    policy: Literal["police"] = "police"
    captures: int = Field(3, ge=1, le=10)


class FeeTable(BaseModel):
    """A fee that depends on a collected value: `by` names it, `table` prices it (yuan)."""

    model_config = ConfigDict(extra="forbid")
    by: str
    table: dict[str, float]
    default: float | None = None


PayMethod = Literal["wechat", "alipay", "unionpay_qr", "bank_card"]


class PayParams(Params):
    amount: float | FeeTable  # yuan
    methods: list[PayMethod] = Field(min_length=1)


class BackendParams(Params):
    operation: str
    offline: Literal["require_online", "queue"] = "require_online"
    # false for a lookup (eligibility): it changes nothing at the backend, so a failure
    # after it owes the citizen their card back, not the refund path of a paid session
    writes: bool = True
    data: dict[str, str] = Field(default_factory=dict)  # request field -> collected value


class PrintParams(Params):
    template: str
    printer: Literal["document_printer", "receipt_printer"]
    data: dict[str, str] = Field(default_factory=dict)  # template field -> collected value


class WriteChipParams(Params):
    what: Literal["endorsement"]
    verify: bool = True
    # the endorsement printed on the document's rewritable back too (the permit card),
    # where the terminal has a card printer; without one, the chip alone is written
    card_back: bool = False
    # endorsement field (kind, destination, trips) -> collected value
    data: dict[str, str] = Field(default_factory=dict)


class TakeBackParams(Params):
    what: Literal["id_card", "document"]
    # on a card transport: seconds the card waits at the gate before it is captured
    # into the retain bin (keep it under the step's timeout); None: the service's own
    retain_after: float | None = Field(None, gt=0, le=600)


class VerifyProofParams(Params):
    """A printed proof's QR code, read by a `scan_code` step, checked offline against the
    issuer keys this terminal trusts (kiosk/documents/verify.py)."""

    code_from: str  # the scan_code step whose text is the code


class DispenseParams(Params):
    """自助取证: the finished document the backend named, from the card transport's
    storage slot that holds it (the slot book, kiosk/slots.py) to the gate."""

    data: dict[str, str] = Field(default_factory=dict)  # reference -> collected value
    # seconds the document waits at the gate before it is captured into the retain bin
    retain_after: float | None = Field(None, gt=0, le=600)


class NoParams(Params):
    pass


class DoneParams(Params):
    message: MessageId


@dataclass(frozen=True)
class StepType:
    name: str
    params: type[Params]
    result: type[r.StepResult]
    devices: Callable[[Params], list[str]]  # each entry a device or "a|b" alternatives
    by_engine: bool  # the engine runs it; else a service performs it
    irreversible: bool = False  # once it succeeds, Back cannot undo it
    message_fields: tuple[str, ...] = ()  # params that hold message ids


def _none(_: Params) -> list[str]:
    return []


def _fixed(*devices: str) -> Callable[[Params], list[str]]:
    return lambda _: list(devices)


def _pay_devices(params: Params) -> list[str]:
    assert isinstance(params, PayParams)
    needs = []
    if any(m != "bank_card" for m in params.methods):
        needs.append("scanner|camera")
    if "bank_card" in params.methods:
        needs.append("card_payment")
    return needs


def _print_devices(params: Params) -> list[str]:
    assert isinstance(params, PrintParams)
    return [params.printer]


def _backend_needs(params: Params) -> list[str]:
    assert isinstance(params, BackendParams)
    return ["network"] if params.offline == "require_online" else []


def _take_back_devices(params: Params) -> list[str]:
    assert isinstance(params, TakeBackParams)
    return ["id_card" if params.what == "id_card" else "smartcard"]


STEP_TYPES: dict[str, StepType] = {
    t.name: t
    for t in (
        StepType("choose", ChooseParams, r.Choice, _none, by_engine=True),
        StepType("form", FormParams, r.FormValues, _none, by_engine=True),
        StepType(
            "info", InfoParams, r.NoResult, _none, True, message_fields=("message", "referral")
        ),
        StepType("confirm", ConfirmParams, r.NoResult, _none, True, message_fields=("button",)),
        StepType("read_id_card", ReadIdCardParams, r.IdentityRecord, _fixed("id_card"), False),
        StepType(
            "read_document_chip", ReadChipParams, r.DocumentRecord, _fixed("smartcard"), False
        ),
        StepType("scan_code", ScanCodeParams, r.ScannedCode, _fixed("scanner|camera"), False),
        StepType(
            "scan_document", ScanDocumentParams, r.ScannedDocument, _fixed("scanner_a4"), False
        ),
        StepType("sign", SignParams, r.Signature, _fixed("signature_pad"), False),
        StepType("capture_photo", CapturePhotoParams, r.Photo, _fixed("camera"), False),
        StepType("verify_face", VerifyFaceParams, r.FaceMatch, _fixed("camera"), False),
        StepType(
            "capture_fingerprints", FingerprintParams, r.Fingerprints, _fixed("fingerprint"), False
        ),
        StepType("pay", PayParams, r.Payment, _pay_devices, False, irreversible=True),
        StepType(
            "backend", BackendParams, r.BackendReply, _backend_needs, False, irreversible=True
        ),
        StepType("print", PrintParams, r.PrintJob, _print_devices, False, irreversible=True),
        StepType(
            "write_chip",
            WriteChipParams,
            r.ChipWrite,
            _fixed("smartcard"),
            False,
            irreversible=True,
        ),
        StepType("take_back", TakeBackParams, r.TakeBack, _take_back_devices, False),
        StepType("rate", NoParams, r.Rating, _none, by_engine=True),
        StepType("done", DoneParams, r.NoResult, _none, True, message_fields=("message",)),
        StepType("verify_proof", VerifyProofParams, r.ProofCheck, _none, by_engine=False),
        StepType(
            "dispense_document",
            DispenseParams,
            r.DocumentDispensed,
            _fixed("card_transport"),
            False,  # nothing is charged on this path: a failure after it owes no refund
        ),
    )
}
