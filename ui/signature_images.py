"""`image://signature/<ref>`: the signature the sign step kept, as the application
will have it (its PNG), shown a moment on the sign screen. Read from the step
services while the session holds it; nothing is kept here, so nothing outlives the
session's wipe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtQuick import QQuickImageProvider


class SignatureImages(QQuickImageProvider):
    def __init__(self) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)
        self.source: Callable[[str], bytes | None] = lambda ref: None

    def requestImage(self, image_id: str, size: QSize, requested: QSize) -> QImage:
        picture = self.source(image_id.split("/", 1)[0])
        # the format named: found by content, Qt's TGA plugin claims these bytes first
        # (TGA has no magic number) and reads a picture of gigabytes. PySide6 takes the
        # format as str only, which its type stubs do not know.
        fmt: Any = "PNG"
        image = QImage.fromData(QByteArray(picture), fmt) if picture else QImage()
        if image.isNull():
            blank = QImage(30, 10, QImage.Format.Format_Grayscale8)
            blank.fill(0xFFFFFF)
            return blank
        if requested.isValid() and requested.width() > 0 and requested.height() > 0:
            image = image.scaled(
                requested,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        return image
