"""Independent XSS oracle for sanitiser output: lists what a browser could execute or load.

Deliberately shares nothing with ``comments.sanitize`` or bleach (whose vendored html5lib is
the only HTML5 parser installed), so a bug there is not repeated here. It uses Python's
``html.parser`` plus a strict lexical check instead:

1. Lexical: every "<" in the output must open or close an allowlisted element in the canonical
   form a serialiser writes (lower-case name, quoted attribute values without "<"). No
   comments, doctypes, processing instructions, CDATA or stray "<". Within that tiny language
   ``html.parser`` and a browser's HTML5 parser agree on which elements and attributes exist,
   and the usual mutation-XSS ingredients (raw-text elements, foreign content, comments,
   ``</`` in attribute values) cannot occur.
2. Tree: build a tree with ``html.parser`` (which decodes character references in attribute
   values and text, as browsers do) and check element names, attribute names and URLs.
3. Mutation: serialise that tree again the way a browser's ``innerHTML`` does (text of raw-text
   elements unescaped) and re-run 1 and 2 on the result.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote

__all__ = ["ALLOWED_ELEMENTS", "text_of", "url_problem", "violations"]

ALLOWED_ELEMENTS = frozenset(
    {
        "p", "br", "a", "strong", "em", "b", "i", "code", "pre",
        "blockquote", "ul", "ol", "li", "del", "hr",
    }
)  # fmt: skip
ALLOWED_LINK_ATTRIBUTES = frozenset({"href", "title", "rel"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Attributes whose value is fetched or navigated to, on any element.
URL_ATTRIBUTES = frozenset(
    {
        "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
        "cite", "longdesc", "lowsrc", "dynsrc", "codebase", "classid", "archive", "usemap",
        "srcset", "ping", "manifest", "icon", "profile", "itemtype", "srcdoc",
    }
)  # fmt: skip
VOID_ELEMENTS = frozenset(
    {
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image",
        "img", "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
    }
)  # fmt: skip
# Elements whose text a browser serialises without escaping (the mutation-XSS classics).
RAW_TEXT_ELEMENTS = frozenset(
    {"script", "style", "xmp", "iframe", "noembed", "noframes", "plaintext", "noscript"}
)

_CANONICAL_TAG = re.compile(
    r"""<(?P<end>/?)(?P<name>[a-z][a-z0-9]*)
        (?P<attrs>(?:[ ]+[a-z][a-z0-9:_.-]*(?:="[^"<]*"|='[^'<]*')?)*)
        [ ]*/?>""",
    re.VERBOSE,
)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*\Z")


@dataclass
class _Element:
    name: str
    attrs: list[tuple[str, str | None]] = field(default_factory=list)
    children: list[_Element | str] = field(default_factory=list)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Element("#fragment")
        self.stack = [self.root]
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = _Element(tag, attrs)
        self.stack[-1].children.append(element)
        if tag not in VOID_ELEMENTS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # HTML ignores "/>" on HTML elements: treat it as a start tag.
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].name == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append(f"comment <!--{data[:40]}-->")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"declaration <!{decl[:40]}>")

    def unknown_decl(self, data: str) -> None:
        self.problems.append(f"declaration <![{data[:40]}>")

    def handle_pi(self, data: str) -> None:
        self.problems.append(f"processing instruction <?{data[:40]}>")


def _parse(markup: str) -> tuple[_Element, list[str]]:
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root, builder.problems


def _lexical_violations(markup: str) -> list[str]:
    found = []
    position = markup.find("<")
    while position != -1:
        match = _CANONICAL_TAG.match(markup, position)
        if match is None:
            found.append(
                f"non-canonical markup or stray '<' at {markup[position : position + 40]!r}"
            )
            position = markup.find("<", position + 1)
            continue
        if match["name"] not in ALLOWED_ELEMENTS:
            found.append(f"tag outside the allowlist: {match[0][:60]!r}")
        position = markup.find("<", match.end())
    return found


def _invisible(char: str) -> bool:
    return (
        ord(char) <= 0x20
        or 0x7F <= ord(char) <= 0x9F
        or char.isspace()
        or unicodedata.category(char) in {"Cc", "Cf", "Zs", "Zl", "Zp"}
    )


def url_problem(value: str) -> str | None:
    """Why a URL attribute value (already entity-decoded once, as by a browser) is unsafe.

    More suspicious than a browser: whitespace, control and invisible format characters are
    removed everywhere (browsers only drop tab/LF/CR inside and C0/space at the ends) and the
    scheme is percent-decoded. Relative URLs, including "//host", are allowed.
    """
    compact = "".join(char for char in value if not _invisible(char))
    scheme, colon, _ = compact.partition(":")
    if not colon or any(char in scheme for char in "/?#"):
        return None  # relative URL: no scheme before the first "/", "?" or "#"
    decoded = "".join(char for char in unquote(scheme) if not _invisible(char)).lower()
    if _SCHEME.match(decoded) and decoded not in SAFE_SCHEMES:
        return f"URL with scheme {decoded!r}: {value[:60]!r}"
    return None


def _tree_violations(element: _Element, found: list[str]) -> None:
    for child in element.children:
        if isinstance(child, str):
            continue
        name = child.name
        if name == "script":
            found.append("script element")
        elif name not in ALLOWED_ELEMENTS:
            found.append(f"element outside the allowlist: <{name}>")
        for attribute, value in child.attrs:
            if attribute.startswith("on"):
                found.append(f"event-handler attribute {attribute}= on <{name}>")
            elif attribute == "style":
                found.append(f"style attribute on <{name}>")
            elif name != "a" or attribute not in ALLOWED_LINK_ATTRIBUTES:
                found.append(f"attribute {attribute}= not allowed on <{name}>")
            if value is not None and (attribute in URL_ATTRIBUTES or attribute.endswith(":href")):
                problem = url_problem(value)
                if problem:
                    found.append(f"<{name} {attribute}=>: {problem}")
        _tree_violations(child, found)


def _serialise(element: _Element) -> str:
    """The HTML fragment serialisation algorithm (what ``innerHTML`` returns)."""
    out = []
    for child in element.children:
        if isinstance(child, str):
            if element.name in RAW_TEXT_ELEMENTS:
                out.append(child)
            else:
                out.append(
                    child.replace("&", "&amp;")
                    .replace("\xa0", "&nbsp;")
                    .replace("<", "&lt;")
                    .replace(">", "&gt;")
                )
            continue
        out.append(f"<{child.name}")
        for attribute, value in child.attrs:
            escaped = (
                (value or "")
                .replace("&", "&amp;")
                .replace("\xa0", "&nbsp;")
                .replace('"', "&quot;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
            )
            out.append(f' {attribute}="{escaped}"')
        out.append(">")
        if child.name not in VOID_ELEMENTS:
            out.append(_serialise(child))
            out.append(f"</{child.name}>")
    return "".join(out)


def _check(markup: str) -> tuple[list[str], _Element]:
    found = _lexical_violations(markup)
    tree, problems = _parse(markup)
    found.extend(problems)
    _tree_violations(tree, found)
    return found, tree


def violations(markup: str) -> list[str]:
    """Everything in ``markup`` (sanitiser output) that breaks the allowlist; [] if safe."""
    found, tree = _check(markup)
    reparsed, _ = _check(_serialise(tree))
    found.extend(f"after re-serialising: {problem}" for problem in reparsed)
    return found


def text_of(markup: str) -> str:
    """All text in ``markup`` with references decoded (for assertions in tests)."""
    tree, _ = _parse(markup)

    def collect(element: _Element) -> str:
        return "".join(c if isinstance(c, str) else collect(c) for c in element.children)

    return collect(tree)
