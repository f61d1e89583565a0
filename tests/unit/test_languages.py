"""The languages: Uyghur as a partial, right-to-left catalogue that falls back to
Chinese where it is allowed to, the city pack's choice of languages, and the
wording rules the screens rely on."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import yaml

from kiosk.citypack import PACKS, load_pack, parse_pack
from kiosk.errors import ConfigError
from kiosk.strings import KNOWN_LANGUAGES, LANGUAGES, Catalogue, catalogue, right_to_left

ROOT = Path(__file__).resolve().parents[2]
FLOWS = sorted((ROOT / "flows" / "services").glob("*.yaml"))
QML = sorted((ROOT / "ui" / "qml").rglob("*.qml"))
PACK = (PACKS / "default" / "pack.toml").read_text(encoding="utf-8")


def write_po(folder: Path, lang: str, domain: str, texts: dict[str, str]) -> None:
    (folder / lang).mkdir(parents=True, exist_ok=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in texts.items())
    (folder / lang / f"{domain}.po").write_text(
        f'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n{body}',
        encoding="utf-8",
    )


def test_uyghur_is_a_partial_right_to_left_language():
    assert right_to_left("ug") and not right_to_left("zh_CN") and not right_to_left("en")
    assert "ug" in KNOWN_LANGUAGES and "ug" not in LANGUAGES  # the CLI stays complete
    assert {"ui", "flows", "services"} <= set(KNOWN_LANGUAGES["ug"].domains or ())


def test_a_missing_uyghur_text_is_a_problem_only_where_uyghur_must_translate(tmp_path, caplog):
    for lang in ("zh_CN", "en"):
        write_po(tmp_path, lang, "ui", {"ui.a": "甲", "ui.b": "乙"})
        write_po(tmp_path, lang, "cli", {"cli.a": "丙"})
    write_po(tmp_path, "ug", "ui", {"ui.a": "ئا"})
    strings = Catalogue.load([tmp_path])
    problems = strings.problems()
    assert len(problems) == 1 and "'ui.b' has no ug text" in problems[0]
    with caplog.at_level(logging.WARNING, logger="kiosk.strings"):
        assert strings.text("cli.a", "ug") == "丙"  # the declared fallback: Chinese, quietly
        assert caplog.text == ""
        assert strings.text("ui.b", "ug") == "乙"  # a gap: Chinese, and the log says so
        assert "ui.b has no ug text" in caplog.text
    assert strings.text("ui.a", "ug") == "ئا"


def test_the_shipped_catalogue_has_every_uyghur_text_it_must():
    shipped = catalogue()
    assert shipped.problems() == []
    ug = shipped.messages["ug"]
    required = [i for i in shipped.ids() if shipped.required(i, "ug")]
    assert len(required) > 250  # the screens, the flows, the services, the photo hints
    assert all(ug[i].text for i in required)
    # printed documents and the CLI fall back to Chinese, as declared
    assert not shipped.required("documents.proof.criminal_record.title", "ug")
    assert shipped.text("documents.proof.criminal_record.title", "ug") == shipped.text(
        "documents.proof.criminal_record.title", "zh_CN"
    )


def test_the_uyghur_files_say_a_native_speaker_should_review_them():
    for po in (Path(catalogue().messages["ug"]["ui.app.title"].file).parent).glob("*.po"):
        assert "native Uyghur speaker should review" in po.read_text(encoding="utf-8"), po


def _used_ids() -> set[str]:
    """Every message id a flow or a screen names literally; "x.y." prefixes of ids a
    screen puts together count as every id they begin."""
    known = catalogue().ids()
    used: set[str] = set()
    for flow in FLOWS:
        used |= {w for w in re.findall(r"[a-z_]+(?:\.[a-z0-9_]+)+", flow.read_text()) if w in known}
    for qml in QML:
        for literal in re.findall(r'"([a-z_]+\.[a-z0-9_.]*)"', qml.read_text()):
            if literal.endswith("."):
                used |= {i for i in known if i.startswith(literal)}
            elif literal in known:
                used.add(literal)
    return used


def test_every_id_the_flows_and_screens_use_has_a_uyghur_text():
    used = _used_ids()
    assert {"flow.common.done", "ui.back", "ui.lang.name.ug", "ui.rate.3"} <= used
    ug = catalogue().messages["ug"]
    missing = sorted(i for i in used if i not in ug or not ug[i].text)
    assert missing == []


def test_each_language_is_named_in_its_own_script_in_every_catalogue():
    shipped = catalogue()
    names = {"zh_CN": "中文", "en": "English", "ug": "ئۇيغۇرچە"}
    for code, name in names.items():
        assert {shipped.text(f"ui.lang.name.{code}", lang) for lang in KNOWN_LANGUAGES} == {name}


def test_the_packs_name_their_languages():
    assert load_pack().languages == ["zh_CN", "en"]
    assert load_pack("xinjiang").languages == ["zh_CN", "ug", "en"]
    for pack in PACKS.iterdir():
        assert all(
            (ROOT / "kiosk" / "locale" / lang).is_dir() for lang in load_pack(pack.name).languages
        )


def test_a_language_without_a_catalogue_is_a_one_line_error():
    bad = PACK.replace('languages = ["zh_CN", "en"]', 'languages = ["zh_CN", "bo"]')
    assert bad != PACK
    with pytest.raises(ConfigError) as caught:
        parse_pack(bad, "pack.toml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("pack.toml: languages: ") and "'bo'" in message and "ug" in message
    twice = PACK.replace('languages = ["zh_CN", "en"]', 'languages = ["zh_CN", "en", "zh_CN"]')
    with pytest.raises(ConfigError, match="twice"):
        parse_pack(twice, "pack.toml")
    with pytest.raises(ConfigError, match="languages"):
        parse_pack(PACK.replace('languages = ["zh_CN", "en"]', "languages = []"), "pack.toml")


def test_a_pack_without_languages_offers_chinese_and_english():
    without = "\n".join(line for line in PACK.splitlines() if not line.startswith("languages"))
    assert parse_pack(without, "pack.toml").languages == ["zh_CN", "en"]


def test_a_done_screen_does_not_repeat_its_title_as_its_body():
    shipped = catalogue()
    for flow in FLOWS:
        for name, step in yaml.safe_load(flow.read_text())["steps"].items():
            if step.get("type") != "done":
                continue
            assert step["text"] != step["message"], f"{flow.name}: {name}"
            for lang in KNOWN_LANGUAGES:
                assert shipped.text(step["text"], lang) != shipped.text(step["message"], lang)


def test_the_official_names_of_the_documents():
    en = catalogue().messages["en"]
    assert en["flow.proof.title"].text == "Certificate of No Criminal Record"
    assert "Hong Kong and Macao" in en["flow.permit.description"].text
    permit_photo = en["flow.id_photo.document.permit"].text
    assert "Hong Kong and Macao" in permit_photo and "Taiwan" in permit_photo
    # the ratings on one scale in both languages, the one government services use
    zh = catalogue().messages["zh_CN"]
    assert [zh[f"ui.rate.{n}"].text for n in range(1, 6)] == [
        "非常不满意", "不满意", "基本满意", "满意", "非常满意"
    ]  # fmt: skip
    assert [en[f"ui.rate.{n}"].text for n in range(1, 6)] == [
        "Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied"
    ]  # fmt: skip
    assert not any("Macau" in m.text for m in en.values())  # the PRC's spelling: Macao
