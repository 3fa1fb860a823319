"""Time comments.sanitize.render() on pathological bodies against typical comments.

Run from the repository root:  .venv/bin/python bench/sanitize_worst_case.py [--repeat N]

Cases are built from the bounds in comments.sanitize, so each "limit" case sits just under (or,
where marked, just over) one bound, padded to the 10,000-character body limit. The table
shows the median time per render, the outcome (ok or the BodyTooComplex reason) and the
ratio to the median typical ~300-character comment. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable

from comments import sanitize as s

BODY_LIMIT = 10_000


def fill(unit: str, length: int = BODY_LIMIT) -> str:
    """``unit`` repeated to exactly ``length`` characters."""
    return (unit * (length // len(unit) + 1))[:length]


def pad(head: str, filler: str = "lorem ipsum dolor sit amet ") -> str:
    """``head`` followed by plain prose up to the body limit."""
    return head + fill(filler, BODY_LIMIT - len(head)) if len(head) < BODY_LIMIT else head


def repeat_to(unit: str, count: int) -> str:
    return unit * count


TYPICAL = [
    (
        "I mostly agree with the article, but the part about **caching** is off. "
        "See https://example.com/docs/cache?mode=strict for details, and _please_ check "
        "the numbers again: they don't add up for `max_age` > 3600.\n\n"
        "> Most sites never need more than one layer.\n\nThat's not my experience at all."
    ),
    (
        "Thanks! Two things:\n\n- the [second link](https://example.org/a/b) is broken\n"
        "- the code sample needs `import os` at the top\n\n"
        "```python\nprint(os.getcwd())\n```\n\nOtherwise great write-up, keep it up. "
        "Also <b>bold</b> & friends work. Cheers."
    ),
    (
        'Plain text with "quotes", an e-mail me@example.com, a URL www.example.net and some '
        "punctuation: (a), [b], {c}. Nothing fancy here; just a normal reader comment that "
        "rambles on for a while about the topic of the article and ends without formatting."
    ),
]

L = s.MAX_LINES
D = s.MAX_NESTING_DEPTH
B = s.MAX_INLINE_MARKERS
F = s.MAX_OPEN_FORMATTING_TAGS
M = s.MAX_MARKUP


def open_tags(count: int) -> str:
    return "".join(f"<b id={i}>" for i in range(count))


def nested_list(depth: int) -> str:
    return "".join("  " * level + "- x\n" for level in range(depth))


CASES: list[tuple[str, Callable[[], str]]] = [
    # MAX_LINES: one line type at a time, at the limit.
    (f"{L} lines 'x' (one paragraph)", lambda: pad(repeat_to("x\n", L - 1))),
    (f"{L} lines '=' (setext headings)", lambda: pad(repeat_to("=\n", L - 1))),
    (f"{L} lines '*x' (paragraph)", lambda: pad(repeat_to("*x\n", L - 1))),
    (f"{L // 2} empty list items '-'", lambda: pad(repeat_to("-\n\n", L // 2 - 1))),
    (f"{L // 2} headings '# x'", lambda: pad(repeat_to("# x\n\n", L // 2 - 1))),
    (f"{L // 3} list items '- x' (loose)", lambda: pad(repeat_to("- x\n\n", (L - 2) // 2))),
    (f"{L + 1} lines (over MAX_LINES)", lambda: pad(repeat_to("=\n", L + 1))),
    # MAX_NESTING_DEPTH.
    (f"quote depth {D}, repeated", lambda: pad(repeat_to("> " * D + "x\n\n", 150))),
    (f"list depth {D}, repeated", lambda: pad(repeat_to(nested_list(D) + "\n", 20))),
    (f"'> ' x {BODY_LIMIT // 2} (over)", lambda: fill("> ")),
    (f"'- ' x {BODY_LIMIT // 2} (over)", lambda: fill("- ")),
    # MAX_INLINE_MARKERS: the dearest bracket and delimiter patterns.
    (f"{B // 2} x '[*'", lambda: pad(repeat_to("[*", B // 2))),
    (f"{B} x '[<'", lambda: pad(repeat_to("[<", B))),
    (f"{B // 2} x '[`'", lambda: pad(repeat_to("[`", B // 2))),
    (f"{B // 3} x '[ _ *'", lambda: pad(repeat_to("[ _ *", B // 3))),
    (f"{B // 3} x '[*x*]('", lambda: pad(repeat_to("[*x*](", B // 3))),
    (f"{B} x '!['", lambda: pad(repeat_to("![", B))),
    (f"{B} x '[x][a'", lambda: pad(repeat_to("[x][a", B))),
    (f"{B} x '[x]('", lambda: pad(repeat_to("[x](", B))),
    (f"{B} x 'a_'", lambda: pad(repeat_to("a_", B))),
    (f"{B} x '_a '", lambda: pad(repeat_to("_a ", B))),
    (f"'[' x {BODY_LIMIT} (over)", lambda: fill("[")),
    # MAX_OPEN_FORMATTING_TAGS / MAX_NESTING_DEPTH for the author's HTML (html5lib).
    (
        f"{F} open '<b id=n>', {M // 2 - 10} '<p>x</p>'",
        lambda: "<p>" + open_tags(F) + "</p>" + "<p>x</p>" * (M // 2 - 10),
    ),
    (
        f"{F} open '<b id=n>', {M // 4 - 5} '> x' quotes",
        lambda: pad(open_tags(F) + "\n\n" + "> x\n\n" * (M // 4 - 5)),
    ),
    (
        f"{M // 4} x '<b id=n>x</b>'",
        lambda: pad("".join(f"<b id={i}>x</b>" for i in range(M // 4))),
    ),
    (
        f"{M // 6} x '<i><b>x</i></b>' (misnested)",
        lambda: pad(repeat_to("<i><b>x</i></b>", M // 6)),
    ),
    (f"{M // 4} x '<p><b>x</b>'", lambda: pad(repeat_to("<p><b>x</b>", M // 4))),
    (
        f"HTML lists nested {D}, repeated",
        lambda: pad(repeat_to("<ul><li>" * D + "x" + "</li></ul>" * D, M // 4 // D)),
    ),
    (f"{M - 10} x '<br>'", lambda: pad(repeat_to("<br>", M - 10))),
    (f"{F + 1} open '<b>' (over)", lambda: pad(repeat_to("<b>", F + 1))),
    ("3,000 nested '<b>' (over)", lambda: "<b>" * 3000),
    ("1,000 '<b id=n>' (over)", lambda: pad(open_tags(1000))),
    # MAX_MARKUP: HTML the Markdown produces.
    (f"{M // 2 - 2} x '**x** '", lambda: pad(repeat_to("**x** ", M // 2 - 2))),
    (f"{M // 2 - 2} x '*x* '", lambda: pad(repeat_to("*x* ", M // 2 - 2))),
    (f"{M // 2 - 2} x '`x` '", lambda: pad(repeat_to("`x` ", M // 2 - 2))),
    (f"{min(M, L) - 2} hard breaks 'a  '", lambda: pad(repeat_to("a  \n", min(M, L) - 2))),
    (f"{M // 2 - 2} list items '- x'", lambda: pad(repeat_to("- x\n", min(M // 2 - 2, L - 1)))),
    (f"{M // 4 - 1} quotes '> x'", lambda: pad(repeat_to("> x\n\n", M // 4 - 1))),
    (f"{L // 3 - 1} fenced blocks", lambda: pad(repeat_to("```\nx\n```\n", L // 3 - 1))),
    (
        f"{M // 2 - 2} links '[a](/b)'",
        lambda: pad(repeat_to("[a](/b) ", M // 2 - 2)),
    ),
    (
        f"{M // 2 - 2} autolinks '<http://a.co>'",
        lambda: pad(repeat_to("<http://a.co> ", M // 2 - 2)),
    ),
    (f"{M // 4} nested '*' runs", lambda: "*" * (M // 4) + "x" + "*" * (M // 4)),
    (f"{M - 2} x '&'", lambda: pad(repeat_to("&", M - 2))),
    (f"{M - 2} x '<'", lambda: pad(repeat_to("<", M - 2))),
    (f"'&' x {BODY_LIMIT} (over)", lambda: fill("&")),
    (f"'**x** ' x {BODY_LIMIT // 6} (over)", lambda: fill("**x** ")),
    # Not bounded: everything else is linear and cheap.
    (f"'`' x {BODY_LIMIT}", lambda: fill("`")),
    (f"'` x' x {BODY_LIMIT // 3}", lambda: fill("` x")),
    (f"'*' x {BODY_LIMIT}", lambda: fill("*")),
    (f"'_a' x {BODY_LIMIT // 2}", lambda: fill("_a")),
    (f"'a*b*' x {BODY_LIMIT // 4} (over)", lambda: fill("a*b*")),
    (f"'](' x {BODY_LIMIT // 2}", lambda: fill("](")),
    (f"'(' x {BODY_LIMIT} (linkify)", lambda: fill("(")),
    (f"'a-b.' x {BODY_LIMIT // 4} (linkify)", lambda: fill("a-b.")),
    ("URL + ')' x 9,980 (linkify)", lambda: "http://a.co/" + fill(")", BODY_LIMIT - 12)),
    (f"{BODY_LIMIT // 14} bare URLs", lambda: fill("http://a.co/ ")),
    (f"'\"' x {BODY_LIMIT}", lambda: fill('"')),
    (f"'>' inside text x {BODY_LIMIT // 2}", lambda: fill("a>")),
    (f"'\\x01' x {BODY_LIMIT}", lambda: fill("\x01")),
    (f"'é😀' x {BODY_LIMIT // 2}", lambda: fill("é😀")),
    (f"'\\\\' x {BODY_LIMIT}", lambda: fill("\\")),
    (f"'<!--' x {BODY_LIMIT // 4}", lambda: fill("<!--")),
    (f"'<x y=\"' x {BODY_LIMIT // 6}", lambda: fill('<x y="')),
    (f"'&#1' x {BODY_LIMIT // 3}", lambda: fill("&#1")),
    ("10,000 chars of prose", lambda: fill("The quick brown fox jumps over the lazy dog. ")),
    ("10,000 chars in one code block", lambda: "```\n" + fill("if (a < b) { c(); }\n", 9990)),
    # Several bounds nearly used up at once (each stays under every bound).
    (
        "combined: open tags, markers, lines, markup",
        lambda: pad(
            open_tags(F)
            + "\n\n"
            + repeat_to("[*", B // 4)
            + "\n\n"
            + repeat_to("x\n=\n\n", M * 3 // 20)
            + repeat_to("*x* ", M // 10)
            + repeat_to("&", M // 5),
            filler="\x01",
        ),
    ),
    (
        "combined: open tags, deep quotes and lists",
        lambda: pad(
            open_tags(F)
            + "\n\n"
            + repeat_to("> " * (D - 1) + "x\n\n", M // (6 * D))
            + repeat_to(nested_list(D // 2) + "\n", M // (6 * D))
            + repeat_to("<p>x</p>", M // 20),
            filler="\x01",
        ),
    ),
]


def time_render(body: str, repeat: int) -> tuple[float, float, str]:
    """Median and minimum ms per render, and the outcome.

    Like timeit, the garbage collector is paused while timing: a full collection, whose cost
    depends on everything else alive in the process, adds 30-50 ms to an unlucky call here.
    """
    timings = []
    outcome = "ok"
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            try:
                s.render(body)
            except s.BodyTooComplex as exc:
                outcome = f"rejected: {exc.reason}"
            timings.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return statistics.median(timings) * 1000, min(timings) * 1000, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="renders per case (median)")
    args = parser.parse_args()

    s.render("warm-up")  # builds this thread's pipeline
    typical_ms = statistics.median(time_render(body, max(args.repeat, 25))[0] for body in TYPICAL)
    build_ms = statistics.median(_timed(s._Pipeline) for _ in range(max(args.repeat, 25)))

    rows = [
        (f"typical comment #{i + 1}", len(body), *time_render(body, max(args.repeat, 25)))
        for i, body in enumerate(TYPICAL)
    ]
    for name, make in CASES:
        body = make()
        rows.append((name, len(body), *time_render(body, args.repeat)))

    print(
        f"bounds: MAX_LINES={L:,} MAX_NESTING_DEPTH={D} MAX_INLINE_MARKERS={B:,} "
        f"MAX_OPEN_FORMATTING_TAGS={F} MAX_MARKUP={M:,}"
    )
    print(f"typical comment median: {typical_ms:.2f} ms; pipeline build: {build_ms:.3f} ms\n")
    width = max(len(row[0]) for row in rows)
    header = f"{'case':<{width}}  {'chars':>6}  {'median ms':>9}  {'min ms':>7}  {'x typical':>9}"
    print(f"{header}  outcome")
    print("-" * (width + 60))
    for name, chars, ms, fastest, outcome in rows:
        print(
            f"{name:<{width}}  {chars:>6}  {ms:>9.2f}  {fastest:>7.2f}  "
            f"{ms / typical_ms:>9.1f}  {outcome}"
        )
    worst = max(rows, key=lambda row: row[2])
    print(f"\nworst: {worst[0]!r} {worst[2]:.1f} ms median ({worst[4]})")


def _timed(make: Callable[[], object]) -> float:
    start = time.perf_counter()
    make()
    return (time.perf_counter() - start) * 1000


if __name__ == "__main__":
    main()
