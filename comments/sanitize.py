"""Turn user-written Markdown (or imported HTML) into safe, allowlisted HTML."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from html import unescape
from html.parser import HTMLParser
from typing import Any, Final
from urllib.parse import unquote

from bleach.html5lib_shim import Filter
from bleach.linkifier import TLDS, LinkifyFilter
from bleach.sanitizer import Cleaner
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_PROTOCOLS",
    "ALLOWED_TAGS",
    "LINK_REL",
    "MAX_INLINE_MARKERS",
    "MAX_LINES",
    "MAX_MARKUP",
    "MAX_NESTING_DEPTH",
    "MAX_OPEN_FORMATTING_TAGS",
    "BodyTooComplex",
    "check_complexity",
    "clean_html",
    "plain_text",
    "render",
]

# --- Allowlist -------------------------------------------------------------------------------
# This REPLACES bleach's defaults; anything not named here is removed (its text is kept).

ALLOWED_TAGS: Final[frozenset[str]] = frozenset(
    {
        "p", "br", "a", "strong", "em", "b", "i", "code", "pre",
        "blockquote", "ul", "ol", "li", "del", "hr",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: Final[Mapping[str, tuple[str, ...]]] = {"a": ("href", "title")}
ALLOWED_PROTOCOLS: Final[frozenset[str]] = frozenset({"http", "https", "mailto"})
#: Set on every link, whether the author wrote it or it was linkified.
LINK_REL: Final = "nofollow ugc noopener noreferrer"

# --- Pathological-input bounds ---------------------------------------------------------------
# The pipeline is pure Python: markdown-it, then bleach's html5lib parser, sanitiser, linkifier
# and serialiser. Measured with bench/sanitize_worst_case.py on bodies of up to 10,000 characters
# (the service's MAX_BODY_LENGTH), a typical comment renders in ~0.5 ms, but unbounded input can
# take 100-250 ms (cheap-to-type, expensive-to-process constructs) or seconds (superlinear ones).
# Each bound below caps one cost driver and sits far above what real comments use; together they
# keep every body under ~35 ms (see the bench's table). Anything not bounded costs at most a few
# microseconds per character.
#
# Every line costs markdown-it's block parser up to ~35 us (each line is offered to every block
# rule; list items and setext headings are the dearest): 5,000 one-character list items or
# "=" lines take 90-150 ms in parsing alone, before any other check can run.
MAX_LINES: Final = 1_000
# Quotes and lists (Markdown or the author's own HTML) nested deeper than this are rejected.
# Cost grows with depth, and markdown-it would otherwise silently drop everything below its own
# nesting limit. With the limit used here (2 * depth + 1, as a list costs two levels, list and
# item) every container up to MAX_NESTING_DEPTH + 1 is parsed, so deeper input is seen and
# rejected, never truncated.
MAX_NESTING_DEPTH: Final = 20
# The author's own formatting tags (<b>, <i>, <strong>, <em>, <code>) left open at once.
# html5lib compares every new formatting tag with each one still open (the "Noah's Ark"
# clause) and re-creates all of them inside every following paragraph or list item, so
# unclosed tags make work and output quadratic: 250 "<b id=n>" take ~20 ms and 1,000 ~250 ms;
# 20 unclosed "<b id=n>" followed by 700 "<p>x</p>" become 100 KB of output in ~190 ms.
# Each open tag adds at most ~4 ms at the MAX_MARKUP limit.
MAX_OPEN_FORMATTING_TAGS: Final = 5
# markdown-it's inline parser tries to find the end of a link label from every "[", recursing
# into nested brackets, and pushes and later pairs up every run of "*", "_", "~" or "`": 10,000
# "[" mixed with "*", "<" or "`" take 50-120 ms (~3x that with the recursion limit that block
# nesting needs, see _INLINE_MAX_NESTING), 5,000 "_a" ~40 ms. Counts "[" characters and runs of the
# others in text that is parsed as inline Markdown (not in code blocks); "**bold**" is two.
MAX_INLINE_MARKERS: Final = 1_000
# bleach then spends 10-25 us on every tag and ~6 us on every character reference ("&amp;",
# "&lt;") in the HTML that Markdown produced: 2,500 list items, 1,700 "**x**" or 10,000 "&"
# take 60-160 ms. This counts the "<" and "&" in that HTML, i.e. tags plus references: two per
# paragraph, list item, link, emphasis or HTML element, one per "&" or "<" typed as text.
MAX_MARKUP: Final = 1_000

# markdown-it has a single maxNesting option limiting both block nesting and the recursion of
# its inline parser, whose cost per "[" grows with it (1,000 "[ _ *" take ~90 ms at 41, ~25 ms
# at 10); core rules switch the option between the block and inline phases. Inline nesting only
# matters for brackets nested inside link text.
_BLOCK_MAX_NESTING: Final = 2 * MAX_NESTING_DEPTH + 1
_INLINE_MAX_NESTING: Final = 10
_INLINE_MARKER_RE: Final = re.compile(r"\[|[*_~`]+")
_CONTAINER_OPEN: Final = frozenset({"blockquote_open", "bullet_list_open", "ordered_list_open"})
_CONTAINER_CLOSE: Final = frozenset({"blockquote_close", "bullet_list_close", "ordered_list_close"})
# A start or end tag as markdown-it's html_inline / html_block rules and html5lib see one. Only
# allowlisted tags reach html5lib's tree builder (bleach's tokenizer turns others into text);
# of those, these nest (p, li and a close an open one of their kind; br and hr are void).
_HTML_TAG_RE: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>]|$)")
_HTML_CONTAINER_TAGS: Final = frozenset({"blockquote", "ul", "ol", "pre", "del"})
_HTML_FORMATTING_TAGS: Final = frozenset({"b", "i", "strong", "em", "code"})


class BodyTooComplex(ValueError):
    """The body is too convoluted to render safely; ``str(exc)`` is a sentence for the author."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        #: Short code: "lines", "nesting", "open_formatting", "inline_markers" or "markup".
        self.reason = reason


# --- Markdown ------------------------------------------------------------------------------------


def _guard_source(state: StateCore) -> None:
    """Core rule run before block parsing (after newline normalisation)."""
    lines = state.src.count("\n") + 1
    if lines > MAX_LINES:
        raise BodyTooComplex("lines", f"The comment has too many lines (more than {MAX_LINES:,}).")
    state.md.options["maxNesting"] = _BLOCK_MAX_NESTING


def _guard_blocks(state: StateCore) -> None:
    """Core rule run after block parsing, before inline parsing."""
    depth = max_depth = markers = 0
    for token in state.tokens:
        if token.type in _CONTAINER_OPEN:
            depth += 1
            max_depth = max(max_depth, depth)
        elif token.type in _CONTAINER_CLOSE:
            depth -= 1
        elif token.type == "inline":
            markers += len(_INLINE_MARKER_RE.findall(token.content))
    if max_depth > MAX_NESTING_DEPTH:
        raise BodyTooComplex(
            "nesting",
            "The comment nests quotes, lists or HTML tags too deeply "
            f"(more than {MAX_NESTING_DEPTH} levels).",
        )
    if markers > MAX_INLINE_MARKERS:
        raise BodyTooComplex(
            "inline_markers",
            'The comment contains too many formatting characters such as "[", "*" or "_" '
            f"(more than {MAX_INLINE_MARKERS:,}).",
        )
    state.md.options["maxNesting"] = _INLINE_MAX_NESTING


def _raw_html(tokens: list[Token]) -> Iterator[str]:
    """The HTML the author wrote, in document order (not HTML in code or escaped text)."""
    for token in tokens:
        if token.type == "html_block":
            yield token.content
        elif token.type == "inline":
            for child in token.children or ():
                if child.type == "html_inline":
                    yield child.content


def _guard_html(state: StateCore) -> None:
    """Core rule run after inline parsing: how deeply the author's own HTML tags nest."""
    still_open: dict[str, int] = {}
    containers = formatting = 0
    for fragment in _raw_html(state.tokens):
        for match in _HTML_TAG_RE.finditer(fragment):
            name = match[2].lower()
            is_container = name in _HTML_CONTAINER_TAGS
            if not is_container and name not in _HTML_FORMATTING_TAGS:
                continue
            change = 1 if not match[1] else -1 if still_open.get(name) else 0
            still_open[name] = still_open.get(name, 0) + change
            if is_container:
                containers += change
            else:
                formatting += change
            if containers > MAX_NESTING_DEPTH:
                raise BodyTooComplex(
                    "nesting",
                    "The comment nests quotes, lists or HTML tags too deeply "
                    f"(more than {MAX_NESTING_DEPTH} levels).",
                )
            if formatting > MAX_OPEN_FORMATTING_TAGS:
                raise BodyTooComplex(
                    "open_formatting",
                    "The comment leaves too many bold, italic or code HTML tags open at once "
                    f"(more than {MAX_OPEN_FORMATTING_TAGS}); please close them.",
                )


def _guard_markup(markup: str) -> None:
    """Check the HTML made by Markdown, before bleach parses it."""
    if markup.count("<") + markup.count("&") > MAX_MARKUP:
        raise BodyTooComplex(
            "markup",
            "The comment has too much formatting: more than "
            f'{MAX_MARKUP:,} formatted parts, links and "&" or "<" characters.',
        )


def _strikethrough_as_del(state: StateCore) -> None:
    """markdown-it renders ``~~x~~`` as <s>; the allowlist has <del>."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type in ("s_open", "s_close"):
                child.tag = "del"


def _escape_text(text: str) -> str:
    # In element content only "&" and "<" need escaping. Leaving '"' and ">" alone (markdown-it
    # escapes them too) spares bleach a character reference each; its serialiser escapes ">"
    # itself, so the output is the same.
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _render_text(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _escape_text(tokens[idx].content)


def _render_code_inline(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return f"<code>{_escape_text(tokens[idx].content)}</code>"


def _render_code_block(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # Also used for fenced code: the language class would be stripped anyway.
    return f"<pre><code>{_escape_text(tokens[idx].content)}</code></pre>\n"


def _build_markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": _BLOCK_MAX_NESTING})
    md.enable("strikethrough")
    # Images are not allowed; without the rule "![alt](url)" renders as "!" and a plain link.
    md.disable("image")
    # Core rules, in order: normalize, guard_source, block, guard_blocks, inline, guard_html,
    # text_join, strikethrough_as_del.
    md.core.ruler.before("block", "guard_source", _guard_source)
    md.core.ruler.after("block", "guard_blocks", _guard_blocks)
    md.core.ruler.after("inline", "guard_html", _guard_html)
    md.core.ruler.push("strikethrough_as_del", _strikethrough_as_del)
    md.add_render_rule("text", _render_text)
    md.add_render_rule("code_inline", _render_code_inline)
    md.add_render_rule("code_block", _render_code_block)
    md.add_render_rule("fence", _render_code_block)
    return md


# --- Linkify -------------------------------------------------------------------------------------

_TLDS: Final = frozenset(tld.lower() for tld in TLDS)


class _UrlMatch:
    """The parts of :class:`re.Match` that :class:`LinkifyFilter` uses."""

    __slots__ = ("_end", "_start", "_text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self._text, self._start, self._end = text, start, end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def group(self, index: int = 0) -> str:
        if index != 0:
            raise IndexError(index)
        return self._text


class _UrlFinder:
    """Linear-time stand-in for bleach's ``URL_RE`` (passed to LinkifyFilter as ``url_re``).

    bleach's own pattern backtracks catastrophically: 10,000 characters of "(" take ~1 s and
    "a-b." repeated takes >10 s. Here a match may only begin where a run of host characters
    begins and every quantifier is possessive, so each character is examined a bounded number of
    times; the top-level-domain check and the trimming of trailing ")" "," "." (which bleach does
    in a quadratic loop) happen in Python afterwards. Only http and https URLs, or bare domain
    names, are linkified.
    """

    _CANDIDATE: Final = re.compile(
        r"""
        (?:                                      # a match starts only where a run starts:
            (?<![\w.@])https?:/{0,3}            #   a scheme (not preceded by a word),
            (?:(?:\w++:)?\w++@)?                 #   with optional user info,
          | (?<![\w.@-])                         #   or the first character of a host name
        )
        (?P<host>\w[\w-]*+(?:\.[\w-]++)++)       # dotted host name
        (?::[0-9]++)?                            # port
        (?:[/?][^\s{}|\\^`<>"]*+)?               # path and query
        """,
        re.IGNORECASE | re.VERBOSE,
    )

    def finditer(self, text: str) -> Iterator[_UrlMatch]:
        for match in self._CANDIDATE.finditer(text):
            # A bare domain must end in a known top-level domain ("file.txt" is no link);
            # with an explicit http(s):// the author plainly meant a link, so any host goes.
            has_scheme = match[0][:4].lower() == "http" and ":" in match[0][:6]
            if not has_scheme and match["host"].rsplit(".", 1)[1].lower() not in _TLDS:
                continue
            url = match[0]
            # Trailing "." and "," are punctuation; trailing ")" too unless it closes a "(" in
            # the URL, as in https://en.wikipedia.org/wiki/Bleach_(disambiguation).
            unbalanced = url.count(")") - url.count("(")
            end = len(url)
            while end:
                if url[end - 1] in ".,":
                    end -= 1
                elif url[end - 1] == ")" and unbalanced > 0:
                    unbalanced -= 1
                    end -= 1
                else:
                    break
            yield _UrlMatch(url[:end], match.start(), match.start() + end)


def _set_link_rel(attrs: dict[Any, str], new: bool = False) -> dict[Any, str] | None:
    """Linkify callback run on every link, existing or new: force ``rel``, drop ``target``."""
    if (None, "href") not in attrs:
        return None  # not a link: unwrap it, keeping the text
    attrs.pop((None, "target"), None)
    attrs[(None, "rel")] = LINK_REL
    return attrs


_INVISIBLE_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _is_invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def _href_is_safe(href: str) -> bool:
    """Stricter second opinion on an href bleach kept (its value still holds raw references).

    bleach checks the scheme after decoding references and dropping whitespace and controls.
    This also rejects any other text before a ":" that comes ahead of the first "/", "?" or
    "#", including percent-encoded ("java%0ascript:") or non-ASCII look-alike schemes, which
    browsers treat as relative paths but other consumers of the HTML might decode.
    """
    scheme = []
    for char in unescape(href):
        if char in "/?#":
            return True  # relative URL
        if char == ":":
            break
        if not _is_invisible(char):
            scheme.append(char)
    else:
        return True  # no ":" at all: relative URL
    decoded = "".join(c for c in unquote("".join(scheme)) if not _is_invisible(c))
    return decoded.lower() in ALLOWED_PROTOCOLS


class _UnwrapUnsafeLinks(Filter):  # type: ignore[misc]
    """Remove <a> tags without a (safe) href, keeping their content as it is.

    Runs after bleach's sanitizer, which drops an href with a disallowed scheme but keeps the
    <a>, and before linkify (which would turn such an <a> into bare text, losing markup and
    character references). html5lib's tree walker yields balanced tags, so a stack pairs each
    end tag with its start tag.
    """

    def __iter__(self) -> Iterator[dict[str, Any]]:
        unwrapped: list[bool] = []
        for token in super().__iter__():
            if token.get("name") == "a":
                if token["type"] == "StartTag":
                    href = (token.get("data") or {}).get((None, "href"))
                    unwrap = href is None or not _href_is_safe(href)
                    unwrapped.append(unwrap)
                    if unwrap:
                        continue
                elif token["type"] == "EndTag" and unwrapped and unwrapped.pop():
                    continue
            yield token


class _KeepLeadingNewlineInPre(Filter):  # type: ignore[misc]
    r"""Write "<pre>\n\n" for a <pre> whose text starts with a newline.

    HTML parsers drop one newline right after <pre>, and html5lib's serialiser does not put it
    back, so without this "<pre>\n\nx" would lose a newline every time it is cleaned again.
    """

    def __iter__(self) -> Iterator[dict[str, Any]]:
        after_pre = False
        for token in super().__iter__():
            if (
                after_pre
                and token["type"] in ("Characters", "SpaceCharacters")
                and token["data"].startswith("\n")
            ):
                token = {**token, "data": "\n" + token["data"]}
            after_pre = token["type"] == "StartTag" and token["name"] == "pre"
            yield token


class _LinkifyFilter(LinkifyFilter):  # type: ignore[misc]
    """bleach's LinkifyFilter without its second pass over character references.

    Inside a Cleaner the sanitiser has already split references out of the text (and decoded
    "&amp;" to "&" and merged it with the following text). LinkifyFilter, written to also work
    on its own, splits them again, so text that reads "&lt;" (typed as "&amp;lt;") would turn
    into "<", and a further "&amp;" layer would be lost on every clean: not idempotent.
    """

    def extract_entities(self, token: dict[str, Any]) -> Iterator[dict[str, Any]]:
        yield token


def _build_cleaner() -> Cleaner:
    cleaner = Cleaner(
        tags=ALLOWED_TAGS,
        attributes={tag: list(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[
            _UnwrapUnsafeLinks,
            partial(
                _LinkifyFilter,
                callbacks=[_set_link_rel],
                skip_tags={"pre", "code"},
                parse_email=False,
                url_re=_UrlFinder(),
            ),
            _KeepLeadingNewlineInPre,
        ],
    )
    # Always quote attribute values with '"'. html5lib would switch to "'" for a value holding
    # '"', and bleach's serialiser then escapes "&" twice in it, so cleaning again would change
    # the href ("&lt;" -> "&amp;lt;").
    cleaner.serializer.use_best_quote_char = False
    return cleaner


# bleach's Cleaner is documented as not thread-safe (its html5lib parser keeps state), so each
# thread builds its own pipeline on first use; building one costs ~0.1 ms.
class _Pipeline:
    def __init__(self) -> None:
        self.markdown = _build_markdown()
        self.cleaner = _build_cleaner()


_local = threading.local()


def _pipeline() -> _Pipeline:
    pipeline: _Pipeline | None = getattr(_local, "pipeline", None)
    if pipeline is None:
        pipeline = _local.pipeline = _Pipeline()
    return pipeline


# --- Public API ----------------------------------------------------------------------------------


def _markdown_to_html(source: str) -> str:
    """Markdown -> unsanitised HTML, enforcing every bound on the way; nothing here is safe yet."""
    md = _pipeline().markdown
    tokens = md.parse(source)  # the _guard_* core rules check as parsing goes
    markup: str = md.renderer.render(tokens, md.options, {})
    _guard_markup(markup)
    return markup


def check_complexity(source: str) -> None:
    """Raise :class:`BodyTooComplex` if ``source`` exceeds the pathological-input bounds.

    This is the Markdown half of :func:`render`, which runs it first: the checks happen before
    (lines), during (nesting, "[" and HTML nesting) and after (markup) Markdown parsing, and all
    before bleach, the most expensive step, sees any HTML.
    """
    _markdown_to_html(source)


def render(source: str) -> str:
    """Render a comment body written in CommonMark (with a small inline-HTML subset) to safe HTML.

    Raises :class:`BodyTooComplex` for pathological input (see the ``MAX_*`` bounds).
    """
    result: str = _pipeline().cleaner.clean(_markdown_to_html(source))
    return result


def clean_html(html: str) -> str:
    """Sanitise ready-made HTML (e.g. imported from another system) with the same allowlist.

    No Markdown step and no complexity bounds. Idempotent: ``clean_html(render(s)) == render(s)``.
    """
    result: str = _pipeline().cleaner.clean(html)
    return result


# Line breaks that block elements stand for in plain text: 1 = new line, 2 = blank line.
_BREAKS: Final[Mapping[str, int]] = {
    "br": 1, "li": 1, "p": 2, "pre": 2, "blockquote": 2, "ul": 2, "ol": 2, "hr": 2,
}  # fmt: skip


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._pending_break = 0

    def _break(self, tag: str) -> None:
        self._pending_break = max(self._pending_break, _BREAKS.get(tag, 0))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        self._break(tag)

    def handle_data(self, data: str) -> None:
        if not data.strip():
            if not self._pending_break:
                self.parts.append(data)  # e.g. the space in "<b>a</b> <i>b</i>"
            return
        if self._pending_break and self.parts:
            self.parts.append("\n" * self._pending_break)
            data = data.lstrip("\n")
        self._pending_break = 0
        self.parts.append(data)


_EXTRA_BLANK_LINES_RE: Final = re.compile(r"\n{3,}")


def plain_text(html: str) -> str:
    """Text content of stored sanitised HTML, for excerpts, search and e-mail.

    Entities are decoded; paragraphs, quotes and lists become line breaks. The result is plain
    text, not HTML: escape it again before putting it into a page. Other HTML is cleaned first.
    """
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except AssertionError:  # Python 3.11's html.parser on e.g. "<![x": never in clean HTML
        extractor = _TextExtractor()
        extractor.feed(clean_html(html))
        extractor.close()
    lines = "".join(extractor.parts).split("\n")
    text = "\n".join(line.rstrip() for line in lines).strip()
    return _EXTRA_BLANK_LINES_RE.sub("\n\n", text)
