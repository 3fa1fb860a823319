"""The reader widget stays small and keeps its house rules (checked on the source files)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "static"
BUDGET = 12 * 1024  # embed.js + embed.css, each gzip -9 as a server would send them
COUNT_BUDGET = 1536  # count.js alone


def gzipped(name: str) -> int:
    return len(gzip.compress((STATIC / name).read_bytes(), compresslevel=9))


def test_widget_fits_the_size_budget() -> None:
    sizes = {name: gzipped(name) for name in ("embed.js", "embed.css")}
    total = sum(sizes.values())
    print(f"\nwidget gzip -9: {sizes} = {total} bytes of {BUDGET} ({BUDGET - total} spare)")
    assert total <= BUDGET
    assert gzipped("count.js") <= COUNT_BUDGET


@pytest.mark.parametrize("name", ["embed.js", "count.js"])
def test_scripts_never_parse_strings_into_markup_or_style(name: str) -> None:
    source = (STATIC / name).read_text()
    forbidden = [
        r"\.innerHTML",
        r"\.outerHTML",
        r"insertAdjacentHTML",
        r"document\.write",
        r"\beval\(",
        r"new Function",
        r"document\.cookie",
        r"\.style\b",
        r"setAttribute\(\s*['\"]style",
        r"createElement\(\s*['\"]style",
        r"\bstyle:",
        r"setTimeout\(\s*['\"]",
    ]
    found = [pattern for pattern in forbidden if re.search(pattern, source)]
    assert found == []


def test_widget_classes_are_prefixed_and_layout_is_logical() -> None:
    css = re.sub(r"/\*.*?\*/", "", (STATIC / "embed.css").read_text(), flags=re.S)
    js = (STATIC / "embed.js").read_text()
    css_classes = set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", re.sub(r"\d\.\d|\.\d", "", css)))
    js_classes = {
        name for value in re.findall(r"class: '([^']*)'", js) for name in value.split()
    } | set(re.findall(r"'\.?(cmt-[\w-]+)'", js))
    assert css_classes
    assert {c for c in css_classes | js_classes if not c.startswith("cmt-")} == set()
    physical = re.findall(
        r"(?:margin|padding|border)-(?:left|right)|\b(?:left|right)\s*:|text-align:\s*(?:left|right)",
        css,
    )
    assert physical == [], "use logical properties so right-to-left layouts work"


def test_every_language_has_every_string() -> None:
    js = (STATIC / "embed.js").read_text()
    catalogue = js[js.index("const L = {") : js.index("\n};", js.index("const L = {"))]
    blocks = re.split(r"\n  (\w\w): \{\n", catalogue)[1:]
    languages = dict(zip(blocks[::2], blocks[1::2], strict=True))
    assert {"en", "de", "ar"} <= set(languages)
    plural = {"zero", "one", "two", "few", "many", "other"}
    keys = {
        lang: set(re.findall(r"(\w+):", re.sub(r"'[^']*'", "''", text))) - plural
        for lang, text in languages.items()
    }
    for lang, names in keys.items():
        assert names == keys["en"], lang
