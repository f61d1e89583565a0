"""Qt's translation system, fed from our gettext catalogue: QML asks `qsTrId(id)`,
Qt asks this translator, the catalogue answers in the language of the moment.

One catalogue for every surface (CLI, slips, screens, voice), so `make test`'s
completeness check covers the screens too; switching language is one call and a
`retranslate()` of the QML engine.
"""

from __future__ import annotations

from PySide6.QtCore import QTranslator

from kiosk.strings import Catalogue


class CatalogueTranslator(QTranslator):
    def __init__(self, strings: Catalogue, lang: str) -> None:
        super().__init__()
        self.strings = strings
        self.lang = lang
        self.ids = strings.ids()

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        # qsTrId passes the id as the source text; placeholders stay for QML to fill.
        # Qt asks about its own texts too: "" hands those back to Qt untouched.
        if source not in self.ids:
            return ""
        return self.strings.text(source, self.lang)

    def isEmpty(self) -> bool:
        return False
