"""Site moderation policy: its settings, and the rules that decide a new comment's fate.

``evaluate`` is a pure function of the policy, the comment and what we know of its author,
so the same code decides real posts and the settings page's "try a comment" box. Every
rule that fires says why, in words a moderator can read at a glance.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from comments.config import parse_bool
from comments.errors import ValidationFailed


class Mode(enum.StrEnum):
    POST = "post"  # publish at once
    FIRST = "first"  # hold until the author has N approved comments
    PRE = "pre"  # hold everything


class WordAction(enum.StrEnum):
    REFUSE = "refuse"
    HOLD = "hold"


class BanAction(enum.StrEnum):
    REFUSE = "refuse"
    SPAM = "spam"


@dataclasses.dataclass(frozen=True)
class Policy:
    """A site's moderation settings, stored as JSON in ``Site.settings``."""

    mode: Mode = Mode.POST
    first_threshold: int = 1
    max_links: int = 3
    banned_words: tuple[str, ...] = ()
    banned_word_action: WordAction = WordAction.REFUSE
    suspect_words: tuple[str, ...] = ()
    honeypot: bool = True
    min_seconds: int = 3
    report_threshold: int = 3
    duplicate_window_minutes: int = 60
    ban_action: BanAction = BanAction.REFUSE
    auto_close_days: int = 0

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key in ("banned_words", "suspect_words"):
            data[key] = list(data[key])
        return {k: (v.value if isinstance(v, enum.Enum) else v) for k, v in data.items()}


_INT_BOUNDS = {
    "first_threshold": (1, 1000),
    "max_links": (0, 1000),
    "min_seconds": (0, 3600),
    "report_threshold": (1, 1000),
    "duplicate_window_minutes": (0, 60 * 24 * 30),
    "auto_close_days": (0, 3650),
}
_ENUMS: dict[str, type[enum.StrEnum]] = {
    "mode": Mode,
    "banned_word_action": WordAction,
    "ban_action": BanAction,
}
MAX_WORDS = 500
MAX_WORD_LENGTH = 64


def parse_words(value: str | Sequence[str]) -> tuple[str, ...]:
    """Words from a list or from text separated by commas or new lines; deduplicated."""
    items = value.replace("\n", ",").split(",") if isinstance(value, str) else list(value)
    words: list[str] = []
    for item in items:
        word = " ".join(str(item).split())
        if word and word.casefold() not in {w.casefold() for w in words}:
            words.append(word)
    return tuple(words)


def policy_from_json(data: Mapping[str, Any] | None) -> Policy:
    """The policy stored for a site; unknown or broken keys fall back to the defaults."""
    try:
        return build_policy(data or {}, Policy())
    except ValidationFailed:
        return Policy()


def build_policy(changes: Mapping[str, Any], base: Policy) -> Policy:
    """Apply ``changes`` to ``base``, checking every value. Raises ValidationFailed."""
    fields = {f.name for f in dataclasses.fields(Policy)}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in changes.items():
        if key not in fields:
            errors[key] = "unknown setting"
            continue
        try:
            values[key] = _coerce(key, raw)
        except (TypeError, ValueError) as exc:
            errors[key] = str(exc)
    if errors:
        raise ValidationFailed("Some settings are not valid.", errors)
    return dataclasses.replace(base, **values)


def _coerce(key: str, raw: Any) -> Any:
    if key in _ENUMS:
        kind = _ENUMS[key]
        try:
            return kind(str(raw))
        except ValueError:
            raise ValueError("one of " + ", ".join(m.value for m in kind)) from None
    if key in _INT_BOUNDS:
        low, high = _INT_BOUNDS[key]
        if isinstance(raw, bool):
            raise ValueError(f"a whole number from {low} to {high}")
        try:
            number = int(str(raw).strip())
        except ValueError:
            raise ValueError(f"a whole number from {low} to {high}") from None
        if not low <= number <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return number
    if key == "honeypot":
        try:
            return parse_bool(raw)
        except ValueError:
            raise ValueError("true or false") from None
    words = parse_words(raw)
    if len(words) > MAX_WORDS or any(len(w) > MAX_WORD_LENGTH for w in words):
        raise ValueError(f"at most {MAX_WORDS} words of {MAX_WORD_LENGTH} characters")
    return words


# --- The rules -------------------------------------------------------------------------------


class Verdict(enum.StrEnum):
    PUBLISH = "publish"
    HOLD = "hold"
    SPAM = "spam"
    REFUSE = "refuse"


@dataclasses.dataclass(frozen=True)
class Reason:
    """Why a rule fired: a stable code for programs and a sentence for people."""

    code: str
    text: str


@dataclasses.dataclass(frozen=True)
class AuthorRecord:
    """What we know of the author when they post."""

    approved_count: int = 0
    banned_until: datetime | None = None
    banned: bool = False
    duplicate_recent: bool = False


@dataclasses.dataclass(frozen=True)
class Submission:
    body: str
    honeypot_filled: bool = False
    seconds_on_page: float | None = None


@dataclasses.dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: tuple[Reason, ...] = ()
    # Published, but put in the Reported queue (a suspect word).
    flagged: bool = False

    @property
    def summary(self) -> str:
        return "; ".join(r.text for r in self.reasons)


# Each alternative consumes the whole link (a markdown target, an <a ...> tag, a bare address)
# so an address inside it, or "www." after "https://", is not counted a second time.
_LINK = re.compile(r"(?i)\]\([^)\s]*|<a\s[^>]*>?|\b(?:https?://|www\.)[^\s<>\[\]()\"']*")


def count_links(body: str) -> int:
    return len(_LINK.findall(body))


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Élan' and 'elan' fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def find_words(body: str, words: Sequence[str]) -> list[str]:
    """The listed words (or phrases) that occur in ``body`` as whole words."""
    folded = fold(body)
    hits = []
    for word in words:
        pattern = r"(?<!\w)" + re.escape(fold(word)) + r"(?!\w)"
        if re.search(pattern, folded):
            hits.append(word)
    return hits


def _quote(words: Sequence[str]) -> str:
    return ", ".join(f"'{w}'" for w in words)


def evaluate(policy: Policy, submission: Submission, author: AuthorRecord) -> Decision:
    """Decide what happens to a new comment, and say why."""
    if author.banned:
        until = (
            f"until {author.banned_until:%Y-%m-%d %H:%M} UTC" if author.banned_until else "for good"
        )
        reason = Reason("author_banned", f"author banned {until}")
        if policy.ban_action is BanAction.REFUSE:
            return Decision(Verdict.REFUSE, (reason,))
        return Decision(Verdict.SPAM, (reason,))
    if author.duplicate_recent:
        return Decision(
            Verdict.REFUSE,
            (
                Reason(
                    "duplicate",
                    "the same text from this author within "
                    f"{policy.duplicate_window_minutes} minutes",
                ),
            ),
        )
    if policy.honeypot and submission.honeypot_filled:
        return Decision(Verdict.SPAM, (Reason("honeypot", "hidden form field filled in"),))
    if (
        policy.min_seconds
        and submission.seconds_on_page is not None
        and submission.seconds_on_page < policy.min_seconds
    ):
        return Decision(
            Verdict.SPAM,
            (
                Reason(
                    "too_fast",
                    f"sent {submission.seconds_on_page:.1f} s after the form loaded "
                    f"(minimum {policy.min_seconds} s)",
                ),
            ),
        )
    banned = find_words(submission.body, policy.banned_words)
    if banned and policy.banned_word_action is WordAction.REFUSE:
        return Decision(Verdict.REFUSE, (Reason("banned_word", f"banned word {_quote(banned)}"),))

    holds: list[Reason] = []
    if banned:
        holds.append(Reason("banned_word", f"banned word {_quote(banned)}"))
    links = count_links(submission.body)
    if links > policy.max_links:
        holds.append(Reason("too_many_links", f"{links} links (limit {policy.max_links})"))
    if policy.mode is Mode.PRE:
        holds.append(Reason("premoderation", "every comment on this site is held for review"))
    elif policy.mode is Mode.FIRST and author.approved_count < policy.first_threshold:
        if author.approved_count == 0:
            holds.append(Reason("first_comment", "first comment from this author"))
        else:
            holds.append(
                Reason(
                    "new_author",
                    f"author has {author.approved_count} approved comments "
                    f"(needs {policy.first_threshold})",
                )
            )
    suspect = find_words(submission.body, policy.suspect_words)
    if holds:
        if suspect:
            holds.append(Reason("suspect_word", f"suspect word {_quote(suspect)}"))
        return Decision(Verdict.HOLD, tuple(holds))
    if suspect:
        return Decision(
            Verdict.PUBLISH, (Reason("suspect_word", f"suspect word {_quote(suspect)}"),), True
        )
    return Decision(Verdict.PUBLISH)
