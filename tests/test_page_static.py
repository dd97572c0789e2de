"""The page's modules, read as text (no browser): both languages have every UI string, and nothing builds HTML
from strings or sets inline styles or handlers (the CSP forbids them, and server text must stay text)."""

from __future__ import annotations

import re

from service.app import STATIC


def _keys(block: str) -> set[str]:
    return set(re.findall(r"^    (\w+):", block, re.M))


def test_both_languages_have_every_string() -> None:
    source = (STATIC / "i18n.js").read_text(encoding="utf-8")
    zh = source[source.index("  zh: {") : source.index("  en: {")]
    en = source[source.index("  en: {") : source.index("function initialLang")]
    assert _keys(zh) == _keys(en) and len(_keys(zh)) > 50


def test_every_key_the_modules_name_exists() -> None:
    source = (STATIC / "i18n.js").read_text(encoding="utf-8")
    zh = _keys(source[source.index("  zh: {") : source.index("  en: {")])
    named: set[str] = set()
    for path in STATIC.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        named |= set(re.findall(r"\bt\(\"(\w+)\"", text))
        named |= set(re.findall(r"\blabel\(\"\w+\", \"(\w+)\"", text))
    assert named and named <= zh, sorted(named - zh)


def test_no_html_strings_inline_styles_or_handlers() -> None:
    for path in STATIC.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"setAttribute\(\s*[\"'](?:style|on\w+)[\"']", source), path.name
        assert ".innerHTML" not in source and "insertAdjacentHTML" not in source, path.name
