from __future__ import annotations

import pytest

from kiosk.documents.fonts import MissingGlyph, fonts
from kiosk.documents.typeset import NO_LINE_END, NO_LINE_START, break_lines

TEXT = (
    "兹证明：阿卜杜热依木·艾合买提江，公民身份号码653027********1234，系本辖区常住户口，"
    "户籍地址：新疆维吾尔自治区巴音郭楞蒙古自治州和静县（巴音布鲁克草原东侧）12号。"
    "“本证明”仅用于入学。"
)


@pytest.mark.parametrize("width", [60, 90, 120, 150, 200, 333])
def test_lines_respect_chinese_punctuation_rules(width):
    lines = break_lines(TEXT, width, 12, fonts())
    assert "".join(lines) == TEXT
    for line in lines[1:]:
        assert line[0] not in NO_LINE_START, lines
    for line in lines[:-1]:
        assert line[-1] not in NO_LINE_END, lines
    if width >= 120:
        assert any("653027********1234" in line for line in lines)  # numbers stay whole
    for line in lines:  # only hanging punctuation may stand past the edge
        assert fonts().width(line.rstrip("".join(NO_LINE_START)), 12) <= width + 1e-6, lines


def test_rare_characters_fall_back_per_character():
    runs = fonts().runs("王䶮𠮷野")
    assert [(r.font, r.text) for r in runs] == [
        ("WQYMicroHei", "王"),
        ("HanaMinA", "䶮𠮷"),
        ("WQYMicroHei", "野"),
    ]
    for char in "王䶮𠮷野钱多多，A1":
        assert ord(char) in fonts().coverage[fonts().font_for(char)]


def test_a_character_no_font_has_is_an_error_not_a_blank_box():
    with pytest.raises(MissingGlyph, match=r"U\+E000"):
        fonts().runs("钱\ue000")
