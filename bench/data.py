"""Seeded benchmark data: thread plans, comment trees, bodies, and the rows they become.

Everything is generated from one seed, thread by thread (each thread has its own RNG seeded
from the run seed and the thread's uri), so a thread has exactly the same tree and texts in
the small database, in the 1,000,000-comment database and in Isso's database.

Comments of all threads are interleaved in time before ids are assigned, as they would be on a
live site: a thread's rows are spread over the table rather than stored side by side. Tree
columns (depth, anchor_id, path, reply_count) and Thread.comment_count are computed exactly as
comments.services.comments._place_in_tree and comments.services.visibility keep them; the
check in bench.store compares the two on a thread posted through the real service.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Sequence
from datetime import UTC, datetime

from comments.models import BLOCK_DEPTH, PATH_SEGMENT_WIDTH

SITE_SLUG = "bench"
SITE_NAME = "Benchmark News"
THREAD_SIZES = (10, 100, 1_000, 5_000)
VOTE_THREAD_SIZE = 500
COUNT_THREADS = 20
BIG_TOTAL_COMMENTS = 1_000_000
BIG_TOTAL_THREADS = 10_000
# Our API sends at most this many top-level comments per page (MAX_PAGE_SIZE) and this many
# replies under each (REPLIES_PER_PAGE): trees stay inside both, so limit=200 is the whole thread.
MAX_ROOTS = 200
MAX_REPLIES_PER_ROOT = 190
MAX_REPLY_DEPTH = 10
ROOT_SHARE = 0.3
BODY_POOL = 1_000
AUTHOR_POOL = 500
# Comments of a thread arrive over about this many seconds; threads start across one year.
THREAD_SPAN_S = 2 * 86_400
YEAR_S = 365 * 86_400
EPOCH = datetime(2025, 1, 1, tzinfo=UTC).timestamp()


def thread_uri(size: int) -> str:
    return f"/articles/bench-{size}"


VOTE_URI = "/articles/bench-votes"
POST_URI = "/articles/bench-posts"


def count_uris() -> list[str]:
    return [f"/articles/list-{i:02d}" for i in range(1, COUNT_THREADS + 1)]


@dataclasses.dataclass(frozen=True)
class ThreadPlan:
    uri: str
    title: str
    size: int


def small_plan() -> list[ThreadPlan]:
    """The benchmark threads: one per size, one to vote on, one to post to, 20 to count."""
    plans = [ThreadPlan(thread_uri(n), f"A story with {n:,} comments", n) for n in THREAD_SIZES]
    plans.append(ThreadPlan(VOTE_URI, "A story to vote on", VOTE_THREAD_SIZE))
    plans.append(ThreadPlan(POST_URI, "A story to comment on", 0))
    rng = random.Random("count-threads")
    plans += [
        ThreadPlan(uri, f"Listed story {uri[-2:]}", rng.randint(1, 30)) for uri in count_uris()
    ]
    return plans


def big_plan(
    total_comments: int = BIG_TOTAL_COMMENTS, total_threads: int = BIG_TOTAL_THREADS
) -> list[ThreadPlan]:
    """The small plan plus filler threads up to exactly ``total_comments`` in ``total_threads``.

    Filler sizes follow a long-tailed (log-normal) spread, from 1 to 5,000 comments.
    """
    plans = small_plan()
    remaining = total_comments - sum(p.size for p in plans)
    count = total_threads - len(plans)
    if remaining < count or count < 1:
        raise ValueError("the big database must be larger than the benchmark threads")
    rng = random.Random("filler-sizes")
    raw = [rng.lognormvariate(4.0, 1.0) for _ in range(count)]
    scale = remaining / sum(raw)
    sizes = [min(5_000, max(1, int(x * scale))) for x in raw]
    while (short := remaining - sum(sizes)) != 0:
        step = 1 if short > 0 else -1
        for i in rng.sample(range(count), min(abs(short), count)):
            if 1 <= sizes[i] + step <= 5_000:
                sizes[i] += step
    plans += [
        ThreadPlan(f"/archive/{i:05d}", f"Archived story {i:05d}", size)
        for i, size in enumerate(sizes, start=1)
    ]
    return plans


# --- bodies and authors -----------------------------------------------------------------------

_WORDS_TEXT = (
    "the council said budget would cover roads schools and parks next year but critics "
    "argue numbers do not add up because inflation keeps rising while wages stay flat "
    "reporters asked mayor about delays on bridge project which started three years ago "
    "residents want clearer answers data shows traffic grew twenty percent since opening "
    "new bike lanes downtown experts expect more debate before final vote in spring"
)
_WORDS = _WORDS_TEXT.split()


def _sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(_WORDS) for _ in range(words)]
    picked[0] = picked[0].capitalize()
    return " ".join(picked) + rng.choice(".!?.")


def _decorate(rng: random.Random, text: str) -> str:
    """Sprinkle inline Markdown over a sentence."""
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(words))
        style = rng.choice(("**{}**", "_{}_", "`{}`", "[{}](https://news.example/{})", "{}"))
        words[i] = style.format(words[i].strip(".!?"), rng.randrange(1000))
    return " ".join(words)


def make_body(rng: random.Random) -> str:
    """A reader's comment in Markdown, about 300 characters."""
    parts: list[str] = []
    kind = rng.random()
    if kind < 0.2:
        parts.append("> " + _sentence(rng, rng.randint(6, 10)))
    parts.append(_decorate(rng, " ".join(_sentence(rng, rng.randint(7, 12)) for _ in range(2))))
    if kind > 0.75:
        parts.append("\n".join("- " + _sentence(rng, rng.randint(3, 6)) for _ in range(3)))
    elif kind > 0.6:
        parts.append(f"See https://news.example/story/{rng.randrange(10_000)} for the numbers.")
    body = "\n\n".join(parts)
    while len(body) < 280:
        body += " " + _sentence(rng, rng.randint(4, 8))
    return body


def body_pool(seed: int, size: int = BODY_POOL) -> list[str]:
    rng = random.Random(f"bodies-{seed}")
    return [make_body(rng) for _ in range(size)]


@dataclasses.dataclass(frozen=True)
class Author:
    name: str
    email: str
    key: str  # our author_key: an anonymous reader's "ip:<address hash>"
    ip_hash: str


_FIRST_TEXT = (
    "Ana Ben Chloe Dev Emil Fatou Gus Hana Ivo Jun Kai Lea Mo Nia Omar Pia Raj Sol Tom Uma"
)
_FIRST = _FIRST_TEXT.split()
_LAST_TEXT = "Berg Costa Diaz Ek Fox Gray Holm Ito Jones Kim Lund Moss Novak Ortiz Park Reyes Sato"
_LAST = _LAST_TEXT.split()


def author_pool(seed: int, size: int = AUTHOR_POOL) -> list[Author]:
    rng = random.Random(f"authors-{seed}")
    authors = []
    for n in range(size):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        digest = hashlib.sha256(f"{seed}-{n}".encode()).hexdigest()[:32]
        email = f"{first}.{last}{n}@mail.example".lower() if rng.random() < 0.7 else ""
        authors.append(Author(f"{first} {last}", email, "ip:" + digest, digest))
    return authors


# --- trees ------------------------------------------------------------------------------------


@dataclasses.dataclass
class ThreadTree:
    """One thread's comments in arrival order: parent (local index or -1), time, texts."""

    plan: ThreadPlan
    start: float
    parents: list[int]
    times: list[float]
    authors: list[int]
    bodies: list[int]


def root_count(size: int) -> int:
    return min(MAX_ROOTS, max(1, round(size * ROOT_SHARE))) if size else 0


def grow_tree(plan: ThreadPlan, seed: int) -> ThreadTree:
    """A comment tree: top-level comments spread over time, replies to earlier comments.

    Replies pick a random earlier comment, so early comments gather more; depth stays under
    MAX_REPLY_DEPTH and each top-level comment under MAX_REPLIES_PER_ROOT descendants.
    """
    rng = random.Random(f"{seed}-{plan.uri}")
    size = plan.size
    roots_left = root_count(size)
    parents: list[int] = []
    depth: list[int] = []
    root_of: list[int] = []
    below: dict[int, int] = {}  # descendants per top-level comment
    for i in range(size):
        if roots_left and (i == 0 or rng.random() < roots_left / (size - i)):
            roots_left -= 1
            parents.append(-1)
            depth.append(0)
            root_of.append(i)
            below[i] = 0
            continue
        for _ in range(30):
            parent = rng.randrange(i)
            if depth[parent] < MAX_REPLY_DEPTH and below[root_of[parent]] < MAX_REPLIES_PER_ROOT:
                break
        else:
            parent = min(below, key=below.__getitem__)  # the top-level comment with most room
        parents.append(parent)
        depth.append(depth[parent] + 1)
        root_of.append(root_of[parent])
        below[root_of[parent]] += 1
    start = EPOCH + rng.uniform(0, YEAR_S)
    mean_gap = THREAD_SPAN_S / max(size, 1)
    times: list[float] = []
    moment = start
    for _ in range(size):
        moment += rng.expovariate(1 / mean_gap) + 0.001
        times.append(moment)
    return ThreadTree(
        plan=plan,
        start=start,
        parents=parents,
        times=times,
        authors=[rng.randrange(AUTHOR_POOL) for _ in range(size)],
        bodies=[rng.randrange(BODY_POOL) for _ in range(size)],
    )


# --- the whole data set -----------------------------------------------------------------------


@dataclasses.dataclass
class Dataset:
    """Threads and comments with final ids and every stored tree column.

    Comment columns are parallel lists indexed by ``id - 1``.
    """

    seed: int
    bodies: list[str]
    authors: list[Author]
    thread_plans: list[ThreadPlan]  # by thread id - 1
    thread_created: list[float]
    thread_counts: list[int]
    c_thread: list[int]
    c_parent: list[int | None]
    c_root: list[int]  # the top-level ancestor (Isso keeps one level of nesting)
    c_depth: list[int]
    c_anchor: list[int]
    c_path: list[str]
    c_reply_count: list[int]
    c_time: list[float]
    c_author: list[int]
    c_body: list[int]

    @property
    def comment_total(self) -> int:
        return len(self.c_thread)

    @classmethod
    def empty(cls) -> Dataset:
        return cls(0, [], [], [], [], [], *([] for _ in range(10)))

    def thread_id(self, uri: str) -> int:
        for index, plan in enumerate(self.thread_plans):
            if plan.uri == uri:
                return index + 1
        raise KeyError(uri)

    def comment_ids(self, uri: str) -> list[int]:
        tid = self.thread_id(uri)
        return [i + 1 for i, t in enumerate(self.c_thread) if t == tid]


def page_size(data: Dataset, uri: str, roots: int = 50) -> int:
    """Comments on a first page: the oldest ``roots`` top-level comments and all below them."""
    tid = data.thread_id(uri)
    ids = [i for i in range(data.comment_total) if data.c_thread[i] == tid]
    first = {data.c_root[i] for i in ids if data.c_parent[i] is None}
    first = set(sorted(first)[:roots])
    return sum(1 for i in ids if data.c_root[i] in first)


def segment(comment_id: int) -> str:
    return str(comment_id).zfill(PATH_SEGMENT_WIDTH)


def place(comment_id: int, parent: tuple[int, int, str] | None) -> tuple[int, int, str]:
    """(depth, anchor_id, path) of a comment under ``parent``'s (depth, anchor_id, path).

    The same rule as comments.services.comments._place_in_tree.
    """
    if parent is None:
        return 0, comment_id, segment(comment_id)
    depth = parent[0] + 1
    if depth % BLOCK_DEPTH == 0:
        return depth, comment_id, segment(comment_id)
    return depth, parent[1], parent[2] + segment(comment_id)


def build(plans: Sequence[ThreadPlan], seed: int) -> Dataset:
    """Grow every thread, interleave all comments by time, then number and place them."""
    trees = [grow_tree(plan, seed) for plan in plans]
    # Threads are numbered in the order they were opened, comments in the order they arrived.
    trees.sort(key=lambda t: (t.times[0] if t.times else t.start, t.plan.uri))
    arrivals = sorted(
        (time, thread_index, local)
        for thread_index, tree in enumerate(trees)
        for local, time in enumerate(tree.times)
    )
    global_id: list[list[int]] = [[0] * len(tree.times) for tree in trees]
    for new_id, (_, thread_index, local) in enumerate(arrivals, start=1):
        global_id[thread_index][local] = new_id
    total = len(arrivals)
    data = Dataset(
        seed=seed,
        bodies=body_pool(seed),
        authors=author_pool(seed),
        thread_plans=[t.plan for t in trees],
        thread_created=[t.times[0] if t.times else t.start for t in trees],
        thread_counts=[len(t.times) for t in trees],
        c_thread=[0] * total,
        c_parent=[None] * total,
        c_root=[0] * total,
        c_depth=[0] * total,
        c_anchor=[0] * total,
        c_path=[""] * total,
        c_reply_count=[0] * total,
        c_time=[0.0] * total,
        c_author=[0] * total,
        c_body=[0] * total,
    )
    for time, thread_index, local in arrivals:
        tree = trees[thread_index]
        cid = global_id[thread_index][local]
        i = cid - 1
        parent_local = tree.parents[local]
        data.c_thread[i] = thread_index + 1
        data.c_time[i] = time
        data.c_author[i] = tree.authors[local]
        data.c_body[i] = tree.bodies[local]
        if parent_local < 0:
            placed = place(cid, None)
            data.c_root[i] = cid
        else:
            p = global_id[thread_index][parent_local] - 1
            placed = place(cid, (data.c_depth[p], data.c_anchor[p], data.c_path[p]))
            data.c_parent[i] = p + 1
            data.c_root[i] = data.c_root[p]
            data.c_reply_count[p] += 1  # every comment is approved, so every reply is shown
        data.c_depth[i], data.c_anchor[i], data.c_path[i] = placed
    return data


def expected_forest(
    data: Dataset, uri: str
) -> list[tuple[int, int | None, int, int, list[object]]]:
    """A thread as nested (id, parent_id, depth, reply_count, replies) in display order."""
    tid = data.thread_id(uri)
    nodes: dict[int, tuple[int, int | None, int, int, list[object]]] = {}
    roots: list[tuple[int, int | None, int, int, list[object]]] = []
    for i in range(data.comment_total):
        if data.c_thread[i] != tid:
            continue
        node = (i + 1, data.c_parent[i], data.c_depth[i], data.c_reply_count[i], [])
        nodes[i + 1] = node
        parent = data.c_parent[i]
        (roots if parent is None else nodes[parent][4]).append(node)
    return roots


def iso_time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
