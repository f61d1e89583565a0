"""What a slip says, independent of how it is printed.

The application builds a `Slip`; the receipt-printer driver owns its encoding to
ESC/POS (text in GB18030 with sizes and emphasis, native QR codes, the cut), and
the documents package can also draw it as a PDF for review or for a printer that
takes PDF.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Align = Literal["left", "center", "right"]


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["text"] = "text"
    text: str
    size: Literal[1, 2] = 1  # 2: double width and height
    bold: bool = False
    align: Align = "left"


class QrCode(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["qr"] = "qr"
    data: str = Field(max_length=1200)
    module_mm: float = Field(0.5, gt=0.1, le=2.0)  # size of one module on paper
    align: Align = "center"


class Rule(BaseModel):
    """A dashed line across the paper."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["rule"] = "rule"


class Feed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["feed"] = "feed"
    lines: int = Field(1, ge=1, le=10)


Element = Annotated[Text | QrCode | Rule | Feed, Field(discriminator="kind")]


class Slip(BaseModel):
    """One slip, printed top to bottom, then cut."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    paper_mm: Literal[58, 80] = 80
    elements: list[Element] = Field(min_length=1)
