"""The embeddable thread: a page that works without JavaScript, its iframe mode, an include.

Routes (all HTML):

- ``GET /embed/<site>/thread?uri=`` the whole discussion with a post form and a reply form
  under each comment; ``POST`` to the same URL posts a comment, then redirects back (303).
  ``&frame=1&origin=`` renders it chromeless for an iframe and reports its height to the host.
- ``GET /embed/<site>/replies/<id>?uri=`` replies held back from the thread page; ``POST``
  posts a reply from there.
- ``GET /embed/<site>/fragment?uri=`` the read-only thread for server-side includes.

Forms carry a signed token instead of Flask-WTF's session-bound one: see ``issue_form_token``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, ParamSpec

from flask import Response, make_response, redirect, render_template, request, url_for
from flask_limiter import RequestLimit
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse

from comments.errors import BadRequest, DomainError, NotFound, RateLimited
from comments.extensions import csrf, db, limiter
from comments.httputil import DEFAULT_CSP, comment_limits, reader_address_hash, settings
from comments.models import Comment, CommentStatus, Site
from comments.pages import bp
from comments.services import comments as comment_service
from comments.services import identity, sites, threads
from comments.services.comments import NewComment
from comments.services.inputs import normalise_uri
from comments.services.limits import limits_of
from comments.services.threads import CommentNode

P = ParamSpec("P")

FORM_TOKEN_SALT = "embed-form"  # noqa: S105 - a salt, not a secret
FORM_TOKEN_MAX_AGE = timedelta(hours=2)
# Ids are 32-bit integers on PostgreSQL; anything larger names no comment.
MAX_ID = 2**31 - 1
# What may go into a CSP source list: an origin and nothing that could end the directive.
_CSP_ORIGIN = re.compile(r"^https?://(?:[a-z0-9.\-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$")


# --- Where the reader is ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Place:
    """The thread a request is about and how it is shown, read from the query string."""

    site: Site
    uri: str
    sort: threads.Sort
    cursor: str | None
    frame: bool
    # An embedding origin the site allows: frame.js reports the height there. None: no messages.
    origin: str | None

    def query(self, **extra: str | None) -> dict[str, str]:
        """The query string that keeps the reader in this place (plus ``extra``)."""
        params = {"uri": self.uri}
        if self.sort is not threads.Sort.OLDEST:
            params["sort"] = self.sort.value
        if self.frame:
            params["frame"] = "1"
            if self.origin:
                params["origin"] = self.origin
        params.update({k: v for k, v in extra.items() if v is not None})
        return params


def _embedding_origin(site: Site, raw: str) -> str | None:
    """``raw`` as an exact origin, if it is one of the site's; otherwise None."""
    if not raw:
        return None
    try:
        origin = sites.normalise_origin(raw)
    except DomainError:
        return None
    return origin if origin in site.allowed_origins else None


def _place(slug: str, *, framed: bool = True) -> Place:
    """Read the query string. Raises NotFound (site), BadRequest / ValidationFailed (input)."""
    site = sites.get_site(slug)
    args = request.args
    uri = normalise_uri(args.get("uri", ""))
    sort_name = args.get("sort") or threads.Sort.OLDEST.value
    try:
        sort = threads.Sort(sort_name)
    except ValueError:
        raise BadRequest(
            "sort must be one of oldest, newest, top.", {"sort": "one of oldest, newest, top"}
        ) from None
    frame = framed and args.get("frame") == "1"
    return Place(
        site=site,
        uri=uri,
        sort=sort,
        cursor=args.get("cursor") or None,
        frame=frame,
        origin=_embedding_origin(site, args.get("origin", "")) if frame else None,
    )


@dataclasses.dataclass(frozen=True)
class Links:
    """URLs for the templates; absolute for the fragment, which lives on another site."""

    place: Place
    external: bool = False

    def _url(self, endpoint: str, anchor: str | None = None, **values: Any) -> str:
        return url_for(
            endpoint,
            site=self.place.site.slug,
            _external=self.external,
            _anchor=anchor,
            **values,
        )

    def thread(
        self,
        *,
        cursor: str | None = None,
        sort: str | None = None,
        anchor: str | None = None,
        held: bool = False,
    ) -> str:
        params = self.place.query(cursor=cursor, held="1" if held else None)
        if sort is not None:
            params.pop("sort", None)
            if sort != threads.Sort.OLDEST.value:
                params["sort"] = sort
        return self._url("pages.embed_thread", anchor, **params)

    def replies(
        self,
        comment_id: int,
        cursor: str | None = None,
        *,
        anchor: str | None = None,
        held: bool = False,
    ) -> str:
        params = self.place.query(cursor=cursor, held="1" if held else None)
        return self._url("pages.embed_replies", anchor, comment_id=comment_id, **params)

    def comment(self, comment_id: int) -> str:
        """A permalink to a comment on the page these links are on."""
        return f"#comment-{comment_id}"

    def comment_in_thread(self, comment_id: int) -> str:
        """A comment on the thread page, from a page that does not show it."""
        return self.thread(anchor=f"comment-{comment_id}")


# --- Form tokens -------------------------------------------------------------------------------
#
# The forms here must work inside a cross-site iframe with JavaScript off, where browsers
# may withhold cookies (third-party cookie blocking, SameSite=Lax), so Flask-WTF's
# session-bound CSRF token cannot be used: these views are exempt from CSRFProtect.
# Posting is anonymous, so there is no session or account a forged request could ride on.
# What a forged cross-site post *could* borrow is the victim's network address, which is
# how anonymous authors are known (bans, "first comment" trust). So the form carries a
# token we signed that names the thread and a tag of the address it was served to, and
# records when it was issued: that proves the form came from us, to this reader, for this
# thread, and gives the form-load time for the site's minimum-seconds anti-spam rule.
# A forger can fetch a token for their own address only, and cannot read one out of our
# page in the victim's browser (same-origin policy; frame-ancestors limits who frames us).


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().SECRET_KEY, salt=FORM_TOKEN_SALT)


def _address_tag(address_hash: str) -> str:
    # The token is signed, not encrypted: keep the reader's identity key itself off the page.
    return hashlib.sha256(f"embed-form:{address_hash}".encode()).hexdigest()[:16]


def issue_form_token(site: str, uri: str, address_hash: str) -> str:
    """A token for forms posting to thread ``uri`` of ``site``; it carries its issue time."""
    return _serializer().dumps({"s": site, "u": uri, "a": _address_tag(address_hash)})


class FormTokenInvalid(BadRequest):
    """The form's token is missing, forged, expired or for another thread or reader."""


def check_form_token(token: str, site: str, uri: str, address_hash: str) -> float:
    """Seconds since the form was issued. Raises FormTokenInvalid."""
    if not token:
        raise FormTokenInvalid(
            "The form was sent without its security token. Please send it again.",
            {"token": "missing"},
        )
    max_age = int(FORM_TOKEN_MAX_AGE.total_seconds())
    try:
        data, issued_at = _serializer().loads(token, max_age=max_age, return_timestamp=True)
    except SignatureExpired:
        raise FormTokenInvalid(
            f"This form has expired (forms are valid for {max_age // 3600} hours). "
            "Your text is kept: please send it again.",
            {"token": "expired"},
        ) from None
    except BadSignature:
        raise FormTokenInvalid(
            "The form's security token is not valid. Please send it again.",
            {"token": "invalid"},
        ) from None
    if not isinstance(data, dict) or data.get("s") != site or data.get("u") != uri:
        raise FormTokenInvalid(
            "This form belongs to another discussion. Please send it again from this page.",
            {"token": "other thread"},
        )
    if data.get("a") != _address_tag(address_hash):
        raise FormTokenInvalid(
            "This form was loaded from another network address. Please send it again.",
            {"token": "other address"},
        )
    issued: datetime = issued_at
    return max(0.0, time.time() - issued.timestamp())


# --- Forms on a page -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Typed:
    """What the reader typed into a form, put back after a refusal so nothing is lost."""

    parent_id: int | None = None
    body: str = ""
    author_name: str = ""
    author_email: str = ""
    author_url: str = ""
    notify_replies: bool = False


@dataclasses.dataclass(frozen=True)
class Problem:
    """Why a post was refused: a sentence, and a short reason per field."""

    message: str
    fields: Mapping[str, str]


@dataclasses.dataclass(frozen=True)
class Forms:
    """What the forms on a page need; ``typed`` and ``problem`` after a refused post."""

    action: str
    token: str
    locked: bool
    # Comments with a reply form on this page.
    reply_ids: frozenset[int]
    typed: Typed | None = None
    problem: Problem | None = None

    def typed_for(self, parent_id: int | None) -> Typed | None:
        """The refused text if it was typed into the form replying to ``parent_id``."""
        if self.typed is not None and self.typed.parent_id == parent_id:
            return self.typed
        return None

    @property
    def stray(self) -> Typed | None:
        """A refused reply to a comment not on this page: shown in a form of its own."""
        typed = self.typed
        if typed and typed.parent_id is not None and typed.parent_id not in self.reply_ids:
            return typed
        return None


def _approved_ids(nodes: Iterable[CommentNode]) -> frozenset[int]:
    ids: set[int] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node.comment.status is CommentStatus.APPROVED:
            ids.add(node.comment.id)
        stack.extend(node.replies)
    return frozenset(ids)


def _typed_from_form() -> tuple[Typed, DomainError | None]:
    """The posted fields, and an error if the parent id is not an id at all."""
    form = request.form
    raw_parent = form.get("parent_id", "").strip()
    parent_id: int | None = None
    error: DomainError | None = None
    if raw_parent:
        if raw_parent.isascii() and raw_parent.isdigit() and 0 < int(raw_parent) <= MAX_ID:
            parent_id = int(raw_parent)
        else:
            error = NotFound("The comment you reply to does not exist.", {"parent_id": "unknown"})
    typed = Typed(
        parent_id=parent_id,
        body=form.get("body", ""),
        author_name=form.get("author_name", ""),
        author_email=form.get("author_email", ""),
        author_url=form.get("author_url", ""),
        notify_replies=bool(form.get("notify_replies")),
    )
    return typed, error


# --- Responses -------------------------------------------------------------------------------


def _csp(site: Site | None) -> str:
    """Our default policy, but framable by the site's own origins (or by nobody)."""
    origins = [o for o in (site.allowed_origins if site else []) if _CSP_ORIGIN.fullmatch(o)]
    directives = [d for d in DEFAULT_CSP.split("; ") if not d.startswith("frame-ancestors ")]
    directives.append("frame-ancestors " + (" ".join(origins) if origins else "'none'"))
    return "; ".join(directives)


def _html(template: str, site: Site | None, status: int = 200, **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    # httputil only sets its default policy when a view has not set one.
    response.headers["Content-Security-Policy"] = _csp(site)
    return response


def _error_response(exc: DomainError) -> Response:
    """An HTML page for a request we cannot serve: 404 for what does not exist, else 400."""
    slug = (request.view_args or {}).get("site")
    site = None
    if isinstance(slug, str):
        try:
            site = sites.get_site(slug)
        except NotFound:
            site = None
    status = 404 if isinstance(exc, NotFound) else 400
    return _html("embed/error.html", site, status, message=exc.message, code=status)


def _html_errors(view: Callable[P, BaseResponse]) -> Callable[P, BaseResponse]:
    """Render a DomainError as an HTML page (the app-wide handler answers with JSON)."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> BaseResponse:
        try:
            return view(*args, **kwargs)
        except DomainError as exc:
            db.session.rollback()
            return _error_response(exc)

    return wrapper


def _forms(
    place: Place,
    action: str,
    locked: bool,
    nodes: Iterable[CommentNode],
    *,
    token: str | None,
    typed: Typed | None,
    problem: Problem | None,
) -> Forms:
    return Forms(
        action=action,
        token=token or issue_form_token(place.site.slug, place.uri, reader_address_hash()),
        locked=locked,
        reply_ids=_approved_ids(nodes),
        typed=typed,
        problem=problem,
    )


def _thread_page(
    place: Place,
    *,
    status: int = 200,
    typed: Typed | None = None,
    problem: Problem | None = None,
    token: str | None = None,
) -> Response:
    config = settings()
    page = threads.read_thread(
        place.site,
        place.uri,
        sort=place.sort,
        limit=config.PAGE_SIZE,
        cursor=place.cursor,
        replies_limit=config.REPLIES_PER_PAGE,
    )
    links = Links(place)
    forms = _forms(
        place,
        links.thread(),
        page.locked,
        page.comments,
        token=token,
        typed=typed,
        problem=problem,
    )
    response = _html(
        "embed/thread.html",
        place.site,
        status,
        place=place,
        page=page,
        links=links,
        forms=forms,
        held=status == 200 and request.args.get("held") == "1",
        sorts=[s.value for s in threads.Sort],
    )
    # Each page carries a token for this reader: never from a shared cache.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _comment_in(place: Place, comment_id: int) -> Comment:
    """A shown comment of this place's thread. Raises NotFound."""
    if not 0 < comment_id <= MAX_ID:
        raise NotFound("There is no such comment.")
    comment = comment_service.get_comment(comment_id)
    if comment.thread.site_id != place.site.id or comment.thread.key != place.uri:
        raise NotFound("There is no such comment in this discussion.")
    return comment


def _replies_page(
    place: Place,
    comment_id: int,
    *,
    status: int = 200,
    typed: Typed | None = None,
    problem: Problem | None = None,
    token: str | None = None,
) -> Response:
    comment = _comment_in(place, comment_id)
    page = threads.read_replies(comment, place.cursor, settings().REPLIES_PER_PAGE)
    root = CommentNode(comment, page.comments)
    locked = threads.is_closed(comment.thread, sites.policy_of(place.site))
    links = Links(place)
    forms = _forms(
        place, links.replies(comment.id), locked, [root], token=token, typed=typed, problem=problem
    )
    response = _html(
        "embed/replies.html",
        place.site,
        status,
        place=place,
        root=root,
        next_cursor=page.next_cursor,
        links=links,
        forms=forms,
        held=status == 200 and request.args.get("held") == "1",
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _submit(
    place: Place, render: Callable[..., Response], done: Callable[..., str]
) -> BaseResponse:
    """Post the form's comment and redirect (303) to ``done(comment, anchor, held)``.

    A refusal is shown by ``render(status, typed, problem, token)``: the same page again,
    with what the reader typed and why it was refused.
    """
    typed, error = _typed_from_form()
    address_hash = reader_address_hash()
    token = request.form.get("token", "")
    try:
        seconds = check_form_token(token, place.site.slug, place.uri, address_hash)
        if error is not None:
            raise error
        comment, _edit_token = comment_service.post_comment(
            NewComment(
                site=place.site.slug,
                uri=place.uri,
                body=typed.body,
                parent_id=typed.parent_id,
                author_name=typed.author_name,
                author_email=typed.author_email,
                author_url=typed.author_url,
                notify_replies=typed.notify_replies,
                honeypot=request.form.get("hp", ""),
                seconds_on_page=seconds,
            ),
            author_key=identity.reader_key(address_hash),
            address_hash=address_hash,
            limits=comment_limits(),
        )
    except DomainError as exc:
        db.session.rollback()
        return _refused(render, typed, exc, token)
    if comment.status is CommentStatus.APPROVED:
        return redirect(done(comment, anchor=f"comment-{comment.id}"), 303)
    # Held and spam read the same to the sender: the spam rules are not announced.
    return redirect(done(comment, anchor="cm-notice", held=True), 303)


def _refused(
    render: Callable[..., Response], typed: Typed, exc: DomainError, token: str
) -> Response:
    """The page again, with what the reader typed and why it was refused."""
    response = render(
        status=exc.status,
        typed=typed,
        problem=Problem(exc.message, exc.fields),
        # A good token is handed back as it is, so the time on the page keeps counting;
        # a bad one is replaced, so sending the form again works.
        token=None if isinstance(exc, FormTokenInvalid) else token,
    )
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


# --- Rate limits -------------------------------------------------------------------------------
#
# The same per-site, per-address posting limits as the JSON API, so the forms are no way
# around them. Both form views share one budget.


_LIMITED_SITE = "comments.embed_limited_site"


def _limited_site() -> Site | None:
    """The site a form posts to (once per request, in the request, not the app context)."""
    if _LIMITED_SITE not in request.environ:
        slug = (request.view_args or {}).get("site")
        try:
            site = sites.get_site(slug) if isinstance(slug, str) else None
        except NotFound:
            site = None  # the view itself will say so
        request.environ[_LIMITED_SITE] = site
    value: Site | None = request.environ[_LIMITED_SITE]
    return value


def _limit_key() -> str:
    site = _limited_site()
    return f"{site.id if site else 0}:{reader_address_hash()}"


def _post_rule() -> str:
    return limits_of(_limited_site()).rule("post")


def _too_many_posts(limit: RequestLimit) -> Response:
    """A breached limit answers like any refusal: 429, the page, the reader's text kept."""
    retry_after = max(1, int(limit.reset_at - time.time()))
    exc = RateLimited(
        "You are posting too often. Please wait a little and send your comment again.",
        retry_after,
    )
    try:
        place = dataclasses.replace(_place(str((request.view_args or {}).get("site"))), cursor=None)
        typed, _ = _typed_from_form()
        comment_id = (request.view_args or {}).get("comment_id")
        render: Callable[..., Response] = (
            functools.partial(_replies_page, place, comment_id)
            if isinstance(comment_id, int)
            else functools.partial(_thread_page, place)
        )
        token = request.form.get("token", "")
        try:
            check_form_token(token, place.site.slug, place.uri, reader_address_hash())
        except FormTokenInvalid:
            token = ""  # the page gets a fresh one
        return _refused(render, typed, exc, token)
    except DomainError as error:
        db.session.rollback()
        return _error_response(error)


_post_limit = limiter.shared_limit(
    _post_rule, scope="embed-post", key_func=_limit_key, on_breach=_too_many_posts
)


# --- Routes ------------------------------------------------------------------------------------


@bp.get("/embed/<site>/thread")
@_html_errors
def embed_thread(site: str) -> BaseResponse:
    return _thread_page(_place(site))


@bp.post("/embed/<site>/thread")
@_post_limit
@_html_errors
def embed_thread_post(site: str) -> BaseResponse:
    place = dataclasses.replace(_place(site), cursor=None)
    links = Links(place)
    return _submit(
        place,
        functools.partial(_thread_page, place),
        lambda comment, anchor, held=False: links.thread(anchor=anchor, held=held),
    )


@bp.get("/embed/<site>/replies/<int:comment_id>")
@_html_errors
def embed_replies(site: str, comment_id: int) -> BaseResponse:
    return _replies_page(_place(site), comment_id)


@bp.post("/embed/<site>/replies/<int:comment_id>")
@_post_limit
@_html_errors
def embed_replies_post(site: str, comment_id: int) -> BaseResponse:
    place = dataclasses.replace(_place(site), cursor=None)
    _comment_in(place, comment_id)
    links = Links(place)
    return _submit(
        place,
        functools.partial(_replies_page, place, comment_id),
        # A new reply is shown below its parent (if held: the page it was sent from).
        lambda comment, anchor, held=False: links.replies(
            comment_id if held else comment.parent_id or comment_id, anchor=anchor, held=held
        ),
    )


@bp.get("/embed/<site>/fragment")
@_html_errors
def embed_fragment(site: str) -> BaseResponse:
    place = _place(site, framed=False)
    config = settings()
    page = threads.read_thread(
        place.site,
        place.uri,
        sort=place.sort,
        limit=config.PAGE_SIZE,
        cursor=place.cursor,
        replies_limit=config.REPLIES_PER_PAGE,
    )
    response = make_response(
        render_template("embed/fragment.html", place=place, page=page, links=Links(place, True))
    )
    response.mimetype = "text/html"
    # The same for every reader (no forms, no tokens): a CDN or the including server may keep it.
    response.headers["Cache-Control"] = "public, max-age=60"
    response.add_etag()
    return response.make_conditional(request)


# The forms carry a signed token of their own instead of the session-bound one (see above).
csrf.exempt(embed_thread_post)
csrf.exempt(embed_replies_post)
