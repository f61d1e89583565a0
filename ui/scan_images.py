"""`image://scan/<ref>/<shot>`: the page the scan_document step scanned, for its
preview. Read from the step services while the session holds it; nothing is kept
here, so nothing outlives the session's wipe."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtQuick import QQuickImageProvider


class ScanImages(QQuickImageProvider):
    def __init__(self) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)
        self.source: Callable[[str], bytes | None] = lambda ref: None

    def requestImage(self, image_id: str, size: QSize, requested: QSize) -> QImage:
        page = self.source(image_id.split("/", 1)[0])
        # PySide6 takes the format as str (bytes raise), though its stubs say bytes; named,
        # since Qt's guessing tries other readers first and one refuses an A4 page's size
        image = QImage.fromData(bytes(page), "PNG") if page else QImage()  # type: ignore[arg-type]
        if image.isNull():
            blank = QImage(21, 29, QImage.Format.Format_RGB888)
            blank.fill(0xFFFFFF)
            return blank
        if requested.isValid() and requested.width() > 0 and requested.height() > 0:
            image = image.scaled(
                requested,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        return image
