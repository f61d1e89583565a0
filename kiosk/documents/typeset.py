"""Chinese line breaking and drawing text in runs of embedded faces.

Chinese breaks between any two characters, except (GB/T 15834 and common
typesetting practice, 避头尾): a line never starts with closing punctuation (，。)
and never ends with opening punctuation (（《). Latin words and numbers stay whole.
Closing punctuation that does not fit hangs into the margin rather than being
pushed to the next line alone.
"""

from __future__ import annotations

import re

from reportlab.pdfgen.canvas import Canvas

from kiosk.documents.fonts import FontSet

NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…—·%‰℃,.;:?!)]}>")
NO_LINE_END = set("（《「『【〔〈“‘([{<")

# A token is a Latin word or number (kept whole), a space, or one other character.
_TOKEN = re.compile(r"[A-Za-z0-9@._/+*\-:]+|\s|.", re.S)


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def break_lines(text: str, width: float, size: float, faces: FontSet) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += _break_paragraph(paragraph, width, size, faces)
    return lines


def _break_paragraph(text: str, width: float, size: float, faces: FontSet) -> list[str]:
    lines: list[list[str]] = [[]]
    used = 0.0
    pieces: list[str] = []
    for token in tokens(text):  # a word wider than the line is cut into characters
        pieces += list(token) if faces.width(token, size) > width else [token]
    for token in pieces:
        token_width = faces.width(token, size)
        line = lines[-1]
        if not line or used + token_width <= width or token[0] in NO_LINE_START:
            if line or token != " ":  # no wrapped space at a line's start (an indent stays)
                line.append(token)
                used += token_width
            continue
        carried: list[str] = []
        while line and line[-1][-1] in NO_LINE_END:  # an opening mark goes down with it
            carried.insert(0, line.pop())
        while line and line[-1] == " ":
            line.pop()
        lines.append([*carried, token] if token != " " else carried)
        used = sum(faces.width(t, size) for t in lines[-1])
    return ["".join(line) for line in lines]


def draw(
    canvas: Canvas, x: float, y: float, text: str, size: float, faces: FontSet, align: str = "left"
) -> float:
    """Draw one line in runs of faces; return its width."""
    total = faces.width(text, size)
    if align == "center":
        x -= total / 2
    elif align == "right":
        x -= total
    for run in faces.runs(text):
        canvas.setFont(run.font, size)
        canvas.drawString(x, y, run.text)
        x += canvas.stringWidth(run.text, run.font, size)
    return total


def paragraph(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    width: float,
    size: float,
    faces: FontSet,
    leading: float = 1.6,
) -> float:
    """Draw wrapped text from the top line at y; return the y below the last line."""
    for line in break_lines(text, width, size, faces):
        draw(canvas, x, y, line, size, faces)
        y -= size * leading
    return y
