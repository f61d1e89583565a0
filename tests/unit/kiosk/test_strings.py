from __future__ import annotations

from pathlib import Path

from kiosk.strings import LANGUAGES, Catalogue, Msg, catalogue, language_from_environment


def test_the_shipped_catalogue_is_complete_in_every_language():
    shipped = catalogue()
    assert shipped.ids(), "the catalogue is empty"
    assert shipped.problems() == []


def write_po(folder: Path, lang: str, domain: str, entries: dict[str, str]) -> None:
    (folder / lang).mkdir(parents=True, exist_ok=True)
    body = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    body += "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    (folder / lang / f"{domain}.po").write_text(body, encoding="utf-8")


def test_a_message_missing_in_one_language_is_reported_with_its_place(tmp_path):
    write_po(tmp_path, "zh_CN", "demo", {"demo.hello": "你好", "demo.only_zh": "仅中文"})
    write_po(tmp_path, "en", "demo", {"demo.hello": "Hello", "demo.only_en": "English only"})
    problems = Catalogue.load([tmp_path]).problems()
    assert "message id 'demo.only_zh' has no en text" in problems
    assert "message id 'demo.only_en' has no zh_CN text" in problems
    assert len(problems) == 2


def test_an_empty_translation_and_placeholder_mismatch_are_problems(tmp_path):
    write_po(tmp_path, "zh_CN", "demo", {"demo.a": "{n} 张", "demo.b": "乙"})
    write_po(tmp_path, "en", "demo", {"demo.a": "{count} sheets", "demo.b": ""})
    problems = Catalogue.load([tmp_path]).problems()
    assert any("demo.b' has no en text" in p and "en/demo.po:" in p for p in problems)
    assert any(
        "'demo.a' uses placeholders ['count'] but the zh_CN text uses ['n']" in p for p in problems
    )


def test_one_id_in_two_domains_is_a_problem(tmp_path):
    for lang in LANGUAGES:
        write_po(tmp_path, lang, "one", {"dup.id": "x"})
        write_po(tmp_path, lang, "two", {"dup.id": "y"})
    problems = Catalogue.load([tmp_path]).problems()
    assert len(problems) == 2 and all("already defined at" in p for p in problems)


def test_text_falls_back_to_chinese_then_to_the_id(tmp_path, caplog):
    write_po(tmp_path, "zh_CN", "demo", {"demo.a": "甲 {x}"})
    write_po(tmp_path, "en", "demo", {})
    strings = Catalogue.load([tmp_path])
    assert strings.text("demo.a", "en", x=1) == "甲 1"
    assert strings.text("demo.nope", "en") == "demo.nope"
    assert "demo.nope" in caplog.text


def test_nested_messages_render_in_the_same_language():
    shipped = catalogue()
    msg = Msg(
        "config.invalid",
        {
            "origin": Msg("config.defaults"),
            "key": "k",
            "value": "",
            "problem": Msg("config.allowed", {"allowed": "a"}),
            "more": "",
        },
    )
    assert shipped.render(msg, "en") == "defaults: k: allowed: a"
    assert shipped.render(msg, "zh_CN") == "默认配置：k：允许的取值：a"


def test_language_from_environment():
    assert language_from_environment({"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert language_from_environment({"LANG": "en_US.UTF-8"}) == "en"
    assert language_from_environment({"LANG": "zh_CN.UTF-8", "KIOSK_LANG": "en"}) == "en"
    assert language_from_environment({}) == "en"
