"""The OpenAPI 3.1 document describing the public API under /api/v1, written by hand.

It is built once, at import, into ``DOCUMENT``; ``document()`` hands out a deep copy so no
caller can change what the next one is served. Schemas use JSON Schema 2020-12, as OpenAPI
3.1 allows (``"type": ["string", "null"]`` for nullable values). It documents only what the
code does: the tests check every route is here and every response matches it.
"""

from __future__ import annotations

import copy
from typing import Any, Final

from comments.api.parsing import MAX_ID

JSON = "application/json"

Schema = dict[str, Any]


def _ref(kind: str, name: str) -> Schema:
    return {"$ref": f"#/components/{kind}/{name}"}


def _schema(name: str) -> Schema:
    return _ref("schemas", name)


def _json(schema: Schema, description: str) -> Schema:
    """A response (or request body) with a JSON body of ``schema``."""
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _nullable(kind: str, **rest: Any) -> Schema:
    return {"type": [kind, "null"], **rest}


def _closed(required: dict[str, Schema], description: str = "") -> Schema:
    """An object with exactly these properties, all of them always present."""
    schema: Schema = {
        "type": "object",
        "properties": required,
        "required": list(required),
        "additionalProperties": False,
    }
    if description:
        schema["description"] = description
    return schema


def _request(properties: dict[str, Schema], required: list[str], description: str) -> Schema:
    """A JSON request body. Unknown fields are ignored, so the object stays open."""
    return {
        "required": True,
        "description": description,
        "content": {
            JSON: {"schema": {"type": "object", "properties": properties, "required": required}}
        },
    }


# One reusable response per error status, all with the one Error body.
_ERRORS: Final[dict[int, tuple[str, str]]] = {
    400: (
        "BadRequest",
        "Malformed request (code `bad_request`): a JSON body that does not parse or is not an "
        "object, a missing, repeated or out-of-range query parameter, an invalid cursor.",
    ),
    401: (
        "Unauthorized",
        "No edit token (code `unauthorized`): send `Authorization: Bearer <edit_token>`.",
    ),
    403: ("Forbidden", "Not allowed (code `forbidden`), e.g. the edit token does not match."),
    404: (
        "NotFound",
        "No such site, comment or route (code `not_found`). Removed comments without "
        "visible replies read as not found.",
    ),
    409: (
        "Conflict",
        "A rule forbids this in the resource's current state; `error.code` says which: "
        "`parent_elsewhere`, `parent_unavailable`, `thread_locked`, `edit_window_closed`, "
        "`comment_removed`, `vote_conflict` or `already_reported`.",
    ),
    413: (
        "PayloadTooLarge",
        "The request body is larger than MAX_REQUEST_BYTES (64 KiB by default); refused "
        "before parsing (code `payload_too_large`).",
    ),
    415: (
        "UnsupportedMediaType",
        "The body was not sent as `Content-Type: application/json` "
        "(code `unsupported_media_type`).",
    ),
    422: (
        "ValidationFailed",
        "Well-formed input that breaks a rule (code `validation_failed`); `error.fields` "
        "maps each offending field to what is wrong with it.",
    ),
    429: (
        "RateLimited",
        "Too many requests of this kind from this client for this site (code `rate_limited`); "
        "the `Retry-After` header says how many seconds to wait.",
    ),
}


def _error_responses(*codes: int) -> dict[str, Schema]:
    return {str(code): _ref("responses", _ERRORS[code][0]) for code in codes}


# Every request with a JSON body can fail to parse (400), be too big (413) or not be JSON (415).
_BODY_ERRORS: Final = (400, 413, 415)


def _operation(
    operation_id: str,
    tag: str,
    summary: str,
    description: str,
    responses: dict[str, Schema],
    *,
    parameters: list[Schema] | None = None,
    body: Schema | None = None,
    security: list[dict[str, list[str]]] | None = None,
) -> Schema:
    operation: Schema = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "description": description,
    }
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = body
    if security is not None:
        operation["security"] = security
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def _query(name: str, schema: Schema, description: str, *, required: bool = False) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema,
    }


# --- Schemas ------------------------------------------------------------------------------

_TIMESTAMP = {"type": "string", "format": "date-time"}
_COUNT = {"type": "integer", "minimum": 0}
_CURSOR = _nullable(
    "string", description="Opaque cursor; null when there is nothing more to fetch."
)

_SCHEMAS: Final[dict[str, Schema]] = {
    "Error": _closed(
        {
            "error": _closed(
                {
                    "code": {
                        "type": "string",
                        "pattern": "^[a-z_]+$",
                        "description": "Machine-readable: `bad_request`, `not_found`, "
                        "`validation_failed`, `thread_locked`, ...",
                    },
                    "message": {
                        "type": "string",
                        "minLength": 1,
                        "description": "A sentence for people, in English.",
                    },
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Each input field at fault, with what is wrong; "
                        "often empty.",
                    },
                }
            )
        },
        "The one error shape every API error uses.",
    ),
    "Author": _closed(
        {
            "name": {
                "type": "string",
                "maxLength": 64,
                "description": "As typed, normalised; may be empty (anonymous).",
            },
            "url": _nullable("string", description="The author's http(s) website, if given."),
            "avatar": {
                "type": "string",
                "minLength": 1,
                "description": "Path of a locally drawn identicon (see getAvatar), or the "
                "http(s) avatar URL a site vouched for through single sign-on.",
            },
            "verified": {
                "type": "boolean",
                "description": "True when the site vouched for this author (single sign-on).",
            },
        },
        "Who wrote a comment. Never includes an e-mail address.",
    ),
    "Comment": _closed(
        {
            "id": {"type": "integer", "minimum": 1},
            "parent_id": _nullable(
                "integer", minimum=1, description="null for a top-level comment."
            ),
            "depth": {**_COUNT, "description": "0 for a top-level comment."},
            "author": {
                "oneOf": [{"type": "null"}, _schema("Author")],
                "description": "null for a removed comment (a placeholder).",
            },
            "html": {
                "type": "string",
                "description": "The body rendered from Markdown to sanitised HTML; empty for "
                "a removed comment.",
            },
            "created_at": _TIMESTAMP,
            "edited_at": _nullable(
                "string", format="date-time", description="null if never edited, or removed."
            ),
            "status": {
                "type": "string",
                "enum": ["pending", "approved", "hidden", "spam", "deleted"],
                "description": "`hidden`, `spam` and `deleted` appear only on placeholders.",
            },
            "likes": _COUNT,
            "dislikes": _COUNT,
            "score": {"type": "integer", "description": "likes - dislikes."},
            "deleted": {
                "type": "boolean",
                "description": "true for a placeholder: a removed comment (status hidden, "
                "spam or deleted) kept because it has visible replies.",
            },
            "reply_count": {**_COUNT, "description": "Visible direct replies."},
            "replies": {
                "type": "array",
                "items": _schema("Comment"),
                "description": "Nested replies sent along; always empty on single-comment reads.",
            },
            "replies_cursor": {
                **_CURSOR,
                "description": "Set when replies below this comment were held back: pass it "
                "to GET /comments/{id}/replies with this comment's id.",
            },
        },
        "One comment. Readers never see an e-mail, address, hash or edit token in it.",
    ),
    "Thread": _closed(
        {
            "uri": {"type": "string", "description": "The page's identifier within the site."},
            "title": {"type": "string", "maxLength": 300},
            "url": {"type": "string", "description": "The page's URL, or empty."},
            "locked": {"type": "boolean"},
            "comment_count": {**_COUNT, "description": "Approved comments in the thread."},
        },
        "A page's discussion. An unknown thread reads as empty and unlocked.",
    ),
    "ThreadPage": _closed(
        {
            "thread": _schema("Thread"),
            "comments": {"type": "array", "items": _schema("Comment")},
            "next_cursor": {
                **_CURSOR,
                "description": "Pass as `cursor`, with the same sort, for the next page of "
                "top-level comments.",
            },
        }
    ),
    "RepliesPage": _closed(
        {
            "comments": {
                "type": "array",
                "items": _schema("Comment"),
                "description": "Replies in display order. A reply whose parent came in an "
                "earlier response is at the top level here: attach it by `parent_id`.",
            },
            "next_cursor": {
                **_CURSOR,
                "description": "Pass as `cursor` to this same endpoint for more.",
            },
        }
    ),
    "PostResult": _closed(
        {
            "comment": _schema("Comment"),
            "edit_token": {
                "type": "string",
                "minLength": 1,
                "description": "Shown once, stored only hashed: the Bearer token to edit or "
                "delete this comment within the edit window.",
            },
            "status": {
                "enum": ["approved", "pending"],
                "description": "approved: published (201). pending: held for moderation (202); "
                "only its author sees it, with the edit token, until a moderator approves it.",
            },
            "reason": {
                "type": ["string", "null"],
                "description": "Why a comment is held, as a code the widget can translate: "
                "first_comment, new_author, premoderation, too_many_links, banned_word, "
                "held_for_review. Null when published.",
            },
        }
    ),
    "Recent": _closed({"comments": {"type": "array", "items": _schema("RecentComment")}}),
    "Votes": _closed({"likes": _COUNT, "dislikes": _COUNT, "score": {"type": "integer"}}),
    "ReportReceipt": _closed({"status": {"const": "received"}}),
    "Counts": _closed(
        {
            "counts": {
                "type": "object",
                "additionalProperties": _COUNT,
                "description": "Approved comments per requested uri (trimmed, duplicates "
                "once); an unknown uri counts 0.",
            }
        }
    ),
    "Preview": _closed({"html": {"type": "string", "description": "The sanitised HTML."}}),
}

# A recent comment is a Comment (replies always empty) with the page it is on.
_SCHEMAS["RecentComment"] = {
    **_SCHEMAS["Comment"],
    "properties": {
        **_SCHEMAS["Comment"]["properties"],
        "thread": _closed(
            {"uri": {"type": "string"}, "title": {"type": "string"}, "url": {"type": "string"}},
            "The page the comment is on.",
        ),
    },
    "required": [*_SCHEMAS["Comment"]["required"], "thread"],
    "description": "A comment with the page it is on; `replies` is always empty.",
}


# --- Parameters ---------------------------------------------------------------------------

_PARAMETERS: Final[dict[str, Schema]] = {
    "CommentId": {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "A comment id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "examples": [1]},
    },
    "Site": _query(
        "site",
        {"type": "string", "examples": ["news"]},
        "The site's slug, as set up with `comments site add`.",
        required=True,
    ),
    "Cursor": _query(
        "cursor",
        {"type": "string"},
        "A cursor from an earlier response of the same endpoint (and sort, or comment). "
        "An empty value means none. A malformed or foreign cursor is 400.",
    ),
}

_URI_SCHEMA: Final = {
    "type": "string",
    "minLength": 1,
    "maxLength": 1024,
    "examples": ["/2026/11/story"],
    "description": "At most 1024 characters after trimming surrounding whitespace, with no "
    "control characters; otherwise 422.",
}


# --- Paths --------------------------------------------------------------------------------

_COMMENT_ID = [_ref("parameters", "CommentId")]
_EDIT_TOKEN: Final[list[dict[str, list[str]]]] = [{"editToken": []}]

_BODY_TEXT: Final = {
    "type": "string",
    "minLength": 1,
    "maxLength": 10_000,
    "description": "Markdown. Must not be empty or longer than MAX_BODY_LENGTH (10000 by "
    "default) characters once trimmed.",
}

_NEW_COMMENT = _request(
    {
        "site": {"type": "string", "examples": ["news"], "description": "The site's slug."},
        "uri": _URI_SCHEMA,
        "body": _BODY_TEXT,
        "parent_id": _nullable(
            "integer",
            minimum=1,
            description="The comment replied to: a published comment of the same thread.",
        ),
        "title": _nullable(
            "string",
            maxLength=300,
            description="The page title; used only when this comment creates the thread.",
        ),
        "url": _nullable(
            "string",
            maxLength=2048,
            description="The page's http(s) URL; used only when this comment creates the thread.",
        ),
        "author_name": _nullable(
            "string",
            description="Optional. Normalised (NFKC, control and bidi characters dropped, "
            "spaces collapsed), then at most 64 characters.",
        ),
        "author_email": _nullable(
            "string",
            maxLength=254,
            description="Optional. Stored for moderators and to seed the avatar; never "
            "returned by the API.",
        ),
        "author_url": _nullable(
            "string",
            maxLength=2048,
            description="Optional http(s) website; a bare host gets https:// in front.",
        ),
        "hp": _nullable(
            "string",
            description="Honeypot: a form field hidden from people. Filled in, the comment is "
            "treated as spam.",
        ),
        "seconds_on_page": _nullable(
            "number",
            minimum=0,
            description="Seconds between the form loading and sending; faster than the "
            "site's minimum, the comment is treated as spam.",
        ),
        "notify_replies": _nullable(
            "boolean",
            description="Mail the author when someone replies to this comment. Needs an "
            "e-mail address (ignored without one). Anonymous authors are first sent a "
            "confirmation link and get nothing else until they follow it; signed-in (SSO) "
            "readers are confirmed at once. Every mail has a one-click unsubscribe link.",
        ),
    },
    ["site", "uri", "body"],
    "The comment. `null` reads as absent for optional fields; unknown fields are ignored.",
)

_THREAD_DESCRIPTION = (
    "One page of a thread's top-level comments in the chosen order, each with its replies "
    "nested in `replies` (up to REPLIES_PER_PAGE, 200 by default, descendants per top-level "
    "comment). When more replies exist below a comment, or a reply chain reaches the end of "
    "a 32-level block, that comment carries a `replies_cursor` for GET "
    "/comments/{id}/replies. `next_cursor` fetches the next page with the same sort.\n\n"
    "An unknown uri on a known site reads as an empty, unlocked thread (200). A removed "
    "comment with visible replies stays as a placeholder (`deleted: true`, `author: null`, "
    "empty `html`) so its replies keep their context; without visible replies it is left "
    "out."
)

_PATHS: Final[dict[str, Schema]] = {
    "/threads": {
        "get": _operation(
            "readThread",
            "threads",
            "Read a page of a thread",
            _THREAD_DESCRIPTION,
            {"200": _json(_schema("ThreadPage"), "A page of the thread.")}
            | _error_responses(400, 404, 422),
            parameters=[
                _ref("parameters", "Site"),
                _query("uri", _URI_SCHEMA, "The page's identifier within the site.", required=True),
                _query(
                    "sort",
                    {"type": "string", "enum": ["oldest", "newest", "top"], "default": "oldest"},
                    "Order of top-level comments: by id, by id descending, or by score "
                    "(ties oldest first). Replies are always in chronological tree order.",
                ),
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                    "Top-level comments per page: PAGE_SIZE (50) by default, at most "
                    "MAX_PAGE_SIZE (200).",
                ),
                _ref("parameters", "Cursor"),
            ],
        )
    },
    "/comments": {
        "post": _operation(
            "postComment",
            "comments",
            "Post a comment or a reply",
            "Stores a comment; the first comment on a uri creates its thread (with `title` and "
            "`url`). The body is Markdown, rendered once to sanitised HTML. The response "
            "carries the edit token, shown only this once, which edits or deletes the "
            "comment for EDIT_WINDOW_SECONDS (15 minutes by default).\n\n"
            "Errors: 403 when a moderator has banned the author from the site; 404 for an "
            "unknown site or parent; 409 `parent_elsewhere` (the parent is "
            "in another thread), `parent_unavailable` (the parent is not published), "
            "`thread_locked`; 422 for a field that breaks a rule.",
            {
                "201": _json(_schema("PostResult"), "Published."),
                "202": _json(
                    _schema("PostResult"), "Accepted but held for moderation (status pending)."
                ),
            }
            | _error_responses(*_BODY_ERRORS, 401, 403, 404, 409, 422, 429),
            body=_NEW_COMMENT,
        )
    },
    "/comments/{id}": {
        "get": _operation(
            "getComment",
            "comments",
            "Read one comment",
            "One visible comment (or placeholder), without its replies (`replies` is empty, "
            "`replies_cursor` null). A comment held for moderation is visible only with its "
            "edit token; anything else not visible is 404.",
            {"200": _json(_schema("Comment"), "The comment.")} | _error_responses(404),
            parameters=_COMMENT_ID,
            security=[{}, *_EDIT_TOKEN],
        ),
        "patch": _operation(
            "editComment",
            "comments",
            "Edit your comment",
            "Replaces the comment's body, with its edit token, within the edit window "
            "(EDIT_WINDOW_SECONDS, 15 minutes by default, from posting). Sets `edited_at`.\n\n"
            "Errors: 401 without a token, 403 with the wrong one, 404 for an unknown or "
            "deleted comment, 409 `edit_window_closed`, `comment_removed` (by a moderator) or "
            "`thread_locked`, 422 for a bad body.",
            {"200": _json(_schema("Comment"), "The edited comment.")}
            | _error_responses(*_BODY_ERRORS, 401, 403, 404, 409, 422),
            parameters=_COMMENT_ID,
            body=_request(
                {"body": _BODY_TEXT},
                ["body"],
                "The new Markdown body. Unknown fields are ignored.",
            ),
            security=_EDIT_TOKEN,
        ),
        "delete": _operation(
            "deleteComment",
            "comments",
            "Delete your comment",
            "Deletes the comment, with its edit token, within the edit window. Its text and "
            "author are erased; if it has visible replies it stays as a placeholder, "
            "otherwise it disappears.\n\n"
            "Errors: 401 without a token, 403 with the wrong one, 404 for an unknown or "
            "already deleted comment, 409 `edit_window_closed` or `comment_removed`.",
            {"204": {"description": "Deleted; no body."}} | _error_responses(401, 403, 404, 409),
            parameters=_COMMENT_ID,
            security=_EDIT_TOKEN,
        ),
    },
    "/comments/{id}/replies": {
        "get": _operation(
            "getReplies",
            "threads",
            "Read replies held back from an earlier read",
            "Replies below comment `id` in display order. Without a cursor, starts at its "
            "first reply; with a `replies_cursor` (from a comment in a thread page or here) "
            "or a `next_cursor` (from this endpoint), continues where that left off. A "
            "cursor works only with the comment that carried it.",
            {"200": _json(_schema("RepliesPage"), "A page of replies.")}
            | _error_responses(400, 404),
            parameters=[
                *_COMMENT_ID,
                _ref("parameters", "Cursor"),
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 200, "default": 200},
                    "Replies per page: at most, and by default, REPLIES_PER_PAGE (200).",
                ),
            ],
        )
    },
    "/comments/{id}/votes": {
        "post": _operation(
            "vote",
            "comments",
            "Vote on a comment",
            "Sets the reader's one standing vote on a published comment: 1 (like), -1 "
            "(dislike) or 0 (withdraw). Readers are told apart by a keyed hash of their "
            "address. Returns the new tallies.\n\n"
            "Errors: 403 on your own comment, 404 for an unknown or unpublished comment, 409 "
            "`vote_conflict` for a simultaneous vote, 422 for a bad value.",
            {"200": _json(_schema("Votes"), "The comment's tallies after the vote.")}
            | _error_responses(*_BODY_ERRORS, 401, 403, 404, 409, 422, 429),
            parameters=_COMMENT_ID,
            body=_request(
                {"value": {"type": "integer", "enum": [1, -1, 0]}},
                ["value"],
                "The vote.",
            ),
        )
    },
    "/comments/{id}/reports": {
        "post": _operation(
            "report",
            "comments",
            "Report a comment to the moderators",
            "Records one report per reader per published comment.\n\n"
            "Errors: 404 for an unknown or unpublished comment, 409 `already_reported`, 422 "
            "for a bad reason or note.",
            {"202": _json(_schema("ReportReceipt"), "Recorded for moderators to review.")}
            | _error_responses(*_BODY_ERRORS, 401, 404, 409, 422, 429),
            parameters=_COMMENT_ID,
            body=_request(
                {
                    "reason": {"type": "string", "enum": ["spam", "abuse", "off_topic", "other"]},
                    "note": _nullable(
                        "string",
                        maxLength=1000,
                        description="Optional; spaces are collapsed, then at most 1000 characters.",
                    ),
                },
                ["reason"],
                "Why. Unknown fields are ignored.",
            ),
        )
    },
    "/counts": {
        "get": _operation(
            "countComments",
            "threads",
            "Count comments on several pages",
            "Approved comments per uri for one site, from one query. Unknown uris count 0; "
            "repeated uris appear once.",
            {"200": _json(_schema("Counts"), "The counts.")} | _error_responses(400, 404, 422),
            parameters=[
                _ref("parameters", "Site"),
                {
                    "name": "uri",
                    "in": "query",
                    "required": False,
                    "description": "Repeat for each page (`uri=/a&uri=/b`), at most 100 "
                    "times (400 past that).",
                    "style": "form",
                    "explode": True,
                    "schema": {"type": "array", "items": _URI_SCHEMA, "maxItems": 100},
                },
            ],
        )
    },
    "/recent": {
        "get": _operation(
            "recentComments",
            "threads",
            "A site's latest comments",
            "The site's most recent approved comments across all its pages, newest first "
            "(for a 'latest comments' box). Held, hidden and spam comments never appear.",
            {"200": _json(_schema("Recent"), "The comments.")} | _error_responses(400, 404),
            parameters=[
                _ref("parameters", "Site"),
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "description": "How many comments (1 to 50, default 10).",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 50, "default": 10},
                },
            ],
        )
    },
    "/preview": {
        "post": _operation(
            "previewComment",
            "comments",
            "Render a body without storing it",
            "The HTML a body would be stored as, checked by the same rules as posting.",
            {"200": _json(_schema("Preview"), "The rendered HTML.")}
            | _error_responses(*_BODY_ERRORS, 422, 429),
            body=_request(
                {
                    "body": _BODY_TEXT,
                    "site": _nullable(
                        "string", description="The site previewing (picks its rate limit)."
                    ),
                },
                ["body"],
                "The Markdown to render.",
            ),
        )
    },
    "/avatars/{key}.svg": {
        "get": _operation(
            "getAvatar",
            "avatars",
            "An author's identicon",
            "An SVG identicon drawn locally from `key` (the same key always draws the same "
            "picture), so no third party learns who reads what. Comment `author.avatar` links "
            "here. Cached for a week (`immutable`).",
            {
                "200": {
                    "description": "The identicon.",
                    "headers": {
                        "Cache-Control": {
                            "schema": {"type": "string"},
                            "description": "public, max-age=604800, immutable",
                        }
                    },
                    "content": {"image/svg+xml": {"schema": {"type": "string"}}},
                }
            }
            | _error_responses(404),
            parameters=[
                {
                    "name": "key",
                    "in": "path",
                    "required": True,
                    "description": "Exactly 20 characters, no `/` (the API hands out 20 hex "
                    "digits); any other length does not match the route: 404.",
                    "schema": {
                        "type": "string",
                        "minLength": 20,
                        "maxLength": 20,
                        "pattern": "^[^/]{20}$",
                        "examples": ["0123456789abcdef0123"],
                    },
                }
            ],
        )
    },
    "/openapi.json": {
        "get": _operation(
            "getOpenApiDocument",
            "meta",
            "This document",
            "The OpenAPI 3.1 document describing the API.",
            {"200": _json({"type": "object"}, "The document.")},
        )
    },
}

# --- The moderation API (/mod/...) ---------------------------------------------------------

_MOD_TOKEN: Final[list[dict[str, list[str]]]] = [{"modToken": []}]
_QUEUE_NAMES: Final = ["pending", "reported", "spam", "hidden", "approved", "all"]
_ACTIONS: Final = ["approve", "hide", "spam", "restore", "delete"]
_STATUSES: Final = ["pending", "approved", "hidden", "spam", "deleted"]
_ID: Final = {"type": "integer", "minimum": 1}
_PAGE_NUMBER: Final = {"type": "integer", "minimum": 1}
_WORDS: Final = {
    "type": "array",
    "items": {"type": "string", "maxLength": 64},
    "maxItems": 500,
}
_POLICY_FIELDS: Final[dict[str, Schema]] = {
    "mode": {
        "enum": ["post", "first", "pre"],
        "description": "post: publish at once; first: hold an author's comments until they "
        "have `first_threshold` approved ones; pre: hold every comment.",
    },
    "first_threshold": {"type": "integer", "minimum": 1, "maximum": 1000},
    "max_links": {
        "type": "integer",
        "minimum": 0,
        "maximum": 1000,
        "description": "More links than this hold a comment.",
    },
    "banned_words": {**_WORDS, "description": "Words or phrases, matched whole, any case."},
    "banned_word_action": {
        "enum": ["refuse", "hold"],
        "description": "What a banned word does: refuse the comment (422) or hold it.",
    },
    "suspect_words": {
        **_WORDS,
        "description": "Published, but flagged into the Reported queue.",
    },
    "honeypot": {"type": "boolean", "description": "Treat a filled-in hidden field as spam."},
    "min_seconds": {
        "type": "integer",
        "minimum": 0,
        "maximum": 3600,
        "description": "Comments sent sooner after the form loaded are spam; 0 turns it off.",
    },
    "report_threshold": {
        "type": "integer",
        "minimum": 1,
        "maximum": 1000,
        "description": "Reports that send a published comment back to Pending.",
    },
    "duplicate_window_minutes": {"type": "integer", "minimum": 0, "maximum": 43200},
    "ban_action": {
        "enum": ["refuse", "spam"],
        "description": "What a banned author's new comment meets: refusal (403) or the Spam queue.",
    },
    "auto_close_days": {
        "type": "integer",
        "minimum": 0,
        "maximum": 3650,
        "description": "Threads close to new comments this many days after they start; 0 never.",
    },
}


def _settable(schema: Schema) -> Schema:
    """A policy field as PATCH accepts it: also null (unchanged); word lists also as text."""
    accepted = dict(schema)
    if "enum" in accepted:
        accepted["enum"] = [*accepted["enum"], None]
    elif accepted.get("type") == "array":
        accepted["type"] = ["array", "string", "null"]
        accepted["description"] = (
            accepted.get("description", "") + " A list, or text separated by commas."
        ).strip()
    else:
        accepted["type"] = [accepted["type"], "null"]
    return accepted


_MOD_SCHEMAS: Final[dict[str, Schema]] = {
    "ModThread": _closed(
        {
            "id": _ID,
            "site": {"type": "string", "description": "The site's slug."},
            "uri": {"type": "string", "description": "The page's identifier within the site."},
            "title": {"type": "string"},
            "url": {"type": "string", "description": "The page's URL, or empty."},
            "locked": {"type": "boolean"},
            "comment_count": {**_COUNT, "description": "Approved comments in the thread."},
        },
        "A thread as moderators see it.",
    ),
    "ModComment": _closed(
        {
            "id": _ID,
            "thread": _schema("ModThread"),
            "parent_id": _nullable("integer", minimum=1),
            "parent_excerpt": _nullable(
                "string",
                description="The start of the parent comment's text (`(removed)` if it has "
                "none); null for a top-level comment.",
            ),
            "author": _closed(
                {
                    "name": {"type": "string"},
                    "email": _nullable("string", description="As the author gave it."),
                    "url": _nullable("string"),
                }
            ),
            "address": {
                "type": "string",
                "maxLength": 8,
                "description": "The start of the keyed hash of the author's address: enough "
                "to tell authors apart, never the address.",
            },
            "html": {"type": "string", "description": "The sanitised HTML readers see."},
            "body": {"type": "string", "description": "The author's Markdown source."},
            "status": {"enum": _STATUSES},
            "created_at": _TIMESTAMP,
            "edited_at": _nullable("string", format="date-time"),
            "report_count": _COUNT,
            "flagged": {
                "type": "boolean",
                "description": "Published but sent to the Reported queue by a suspect word.",
            },
            "why": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Why it is where it is, in words: the rules that fired, the "
                "readers' reports, a ban on the author.",
            },
            "history": _closed(
                {status: _COUNT for status in _STATUSES},
                "How many of this author's comments on the site stand in each status.",
            ),
        },
        "A comment with what a moderator needs to decide on it, e-mail address included.",
    ),
    "QueueCounts": _closed(
        {
            "site": _nullable("string", description="The site counted, or null for all."),
            "counts": _closed({name: _COUNT for name in _QUEUE_NAMES}),
        }
    ),
    "QueuePage": _closed(
        {
            "queue": {"enum": _QUEUE_NAMES},
            "items": {"type": "array", "items": _schema("ModComment")},
            "total": {**_COUNT, "description": "Comments in the queue under the filters."},
            "page": _PAGE_NUMBER,
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "pages": _PAGE_NUMBER,
        }
    ),
    "BulkResult": _closed(
        {
            "changed": {**_COUNT, "description": "Comments the action changed."},
            "matched": {
                **_COUNT,
                "description": "Distinct comments named or matched (at most 1000); those the "
                "action does not apply to, or on others' sites, are skipped.",
            },
        }
    ),
    "Ban": _closed(
        {
            "id": _ID,
            "site": {"type": "string"},
            "email": _nullable("string", description="The banned e-mail address, if any."),
            "address": _nullable(
                "string", maxLength=8, description="The start of the banned address hash."
            ),
            "reason": {"type": "string"},
            "created_at": _TIMESTAMP,
            "expires_at": _nullable(
                "string", format="date-time", description="null: banned for good."
            ),
            "created_by": _nullable("string", description="The moderator's e-mail address."),
        },
        "An author barred from commenting on a site.",
    ),
    "BanList": _closed({"bans": {"type": "array", "items": _schema("Ban")}}),
    "AuditEntry": _closed(
        {
            "id": _ID,
            "created_at": _TIMESTAMP,
            "site": {"type": "string"},
            "moderator": _nullable(
                "string", description="Who acted; null for the automatic rules."
            ),
            "action": {
                "type": "string",
                "description": "approve, hide, spam, restore, delete, edit, ban, unban, lock, "
                "unlock, settings, undo, auto_hold, auto_spam, auto_publish, ...",
            },
            "comment_id": _nullable("integer", minimum=1),
            "thread_id": _nullable("integer", minimum=1),
            "status_before": _nullable("string"),
            "status_after": _nullable("string"),
            "reason": {"type": "string"},
            "previous_text": _nullable(
                "string", description="The text an edit or a deletion replaced."
            ),
            "details": {"type": "object"},
            "undoes_id": _nullable("integer", minimum=1),
            "undone_by": _nullable(
                "integer", minimum=1, description="The entry that undid this one."
            ),
            "undoable": {
                "type": "boolean",
                "description": "Whether POST /mod/audit/{id}/undo may reverse it.",
            },
        },
        "One entry of the append-only moderation log.",
    ),
    "AuditPage": _closed(
        {
            "entries": {"type": "array", "items": _schema("AuditEntry")},
            "total": _COUNT,
            "page": _PAGE_NUMBER,
            "per_page": {"type": "integer", "minimum": 1, "maximum": 200},
            "pages": _PAGE_NUMBER,
        }
    ),
    "Policy": _closed(_POLICY_FIELDS, "A site's moderation settings."),
}

_MOD_PARAMETERS: Final[dict[str, Schema]] = {
    "QueueName": {
        "name": "queue",
        "in": "path",
        "required": True,
        "description": "A queue; any other name is 404.",
        "schema": {"type": "string", "enum": _QUEUE_NAMES},
    },
    "ModSite": _query(
        "site",
        {"type": "string", "examples": ["news"]},
        "Only this site (a slug). A site you are not assigned to is 404, like an unknown one.",
    ),
    "SiteSlug": {
        "name": "slug",
        "in": "path",
        "required": True,
        "description": "A site's slug.",
        "schema": {"type": "string", "examples": ["news"]},
    },
    "ThreadId": {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "A thread id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "examples": [1]},
    },
    "BanId": {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "A ban id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "examples": [1]},
    },
    "AuditEntryId": {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "A log entry id.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID, "examples": [1]},
    },
    "PageNumber": _query(
        "page",
        {"type": "integer", "minimum": 1, "maximum": 100_000, "default": 1},
        "Which page, from 1.",
    ),
}

# The moderation API's own error answers; the other statuses share the public API's.
_MOD_ERRORS: Final[dict[int, tuple[str, str]]] = {
    401: (
        "TokenRequired",
        "No moderator API token, or one that is unknown or revoked (code `unauthorized`). "
        "The response carries `WWW-Authenticate: Bearer`.",
    ),
    403: ("AdminOnly", "Only admins may do this (code `forbidden`)."),
    409: (
        "ModConflict",
        "The comment's current state forbids this; `error.code` says why: `not_removed` "
        "(restore of a published comment), `deleted_by_author`, `deleted`, `not_undoable`, "
        "`already_undone`, `changed_since` or `comment_gone`.",
    ),
}


def _mod_responses() -> dict[str, Schema]:
    responses: dict[str, Schema] = {}
    for name, description in _MOD_ERRORS.values():
        responses[name] = _json(_schema("Error"), description)
    responses["TokenRequired"]["headers"] = {
        "WWW-Authenticate": {
            "description": 'The challenge: `Bearer realm="comments moderation"`, with '
            '`error="invalid_token"` when a token was sent.',
            "schema": {"type": "string"},
        }
    }
    return responses


def _mod_errors(*codes: int) -> dict[str, Schema]:
    """Error responses of a moderation operation; every one can be 401."""
    return {
        str(code): _ref("responses", (_MOD_ERRORS.get(code) or _ERRORS[code])[0])
        for code in (401, *codes)
    }


def _mod_operation(
    operation_id: str,
    summary: str,
    description: str,
    responses: dict[str, Schema],
    **rest: Any,
) -> Schema:
    return _operation(
        operation_id, "moderation", summary, description, responses, security=_MOD_TOKEN, **rest
    )


_REASON: Final = _nullable(
    "string", maxLength=1000, description="Why, for the log; optional, at most 1000 characters."
)
_MOD_COMMENT_RESPONSE: Final = _json(_schema("ModComment"), "The comment as it stands now.")
_NO_BODY: Final = {"description": "Done; no body."}

_MOD_PATHS: Final[dict[str, Schema]] = {
    "/mod/queues": {
        "get": _mod_operation(
            "countQueues",
            "Count the moderation queues",
            "How many comments each queue holds on the sites you moderate (admins: every "
            "site), or on one of them with `site`.",
            {"200": _json(_schema("QueueCounts"), "The counts.")} | _mod_errors(400, 404),
            parameters=[_ref("parameters", "ModSite")],
        )
    },
    "/mod/queues/{queue}": {
        "get": _mod_operation(
            "readQueue",
            "Read a page of a moderation queue",
            "Comments awaiting a decision, with their context and the reasons they are "
            "there. pending: held (oldest first); reported: published but reported or "
            "flagged (most reported first); spam, hidden, approved: newest first; all: every "
            "comment not deleted. Filters combine; text filters match anywhere, any case.\n\n"
            "Errors: 404 for an unknown queue or site, 400 for an unreadable filter.",
            {"200": _json(_schema("QueuePage"), "A page of the queue.")} | _mod_errors(400, 404),
            parameters=[
                _ref("parameters", "QueueName"),
                _ref("parameters", "ModSite"),
                _query(
                    "thread_id",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "Only this thread.",
                ),
                _query("text", {"type": "string", "maxLength": 200}, "Text in the comment."),
                _query("author", {"type": "string", "maxLength": 200}, "Text in the name."),
                _query("email", {"type": "string", "maxLength": 200}, "Text in the e-mail."),
                _query(
                    "since",
                    {"type": "string", "format": "date"},
                    "Posted on or after this day (UTC), as YYYY-MM-DD.",
                ),
                _query(
                    "until",
                    {"type": "string", "format": "date"},
                    "Posted on or before this day (UTC), as YYYY-MM-DD.",
                ),
                _ref("parameters", "PageNumber"),
                _query(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": 100, "default": 25},
                    "Comments per page.",
                ),
            ],
        )
    },
    "/mod/comments/{id}/actions": {
        "post": _mod_operation(
            "moderateComment",
            "Decide on a comment",
            "approve publishes it (and dismisses its reports), hide and spam take it down, "
            "restore publishes a hidden, spam or pending comment again, delete erases it for "
            "good (a comment with shown replies stays as a placeholder). Each decision is "
            "logged with its reason.\n\n"
            "Errors: 404 for an unknown comment or one on a site you do not moderate, 409 "
            "when its state forbids the action, 422 for a bad action.",
            {"200": _MOD_COMMENT_RESPONSE, "204": {"description": "Deleted for good."}}
            | _mod_errors(*_BODY_ERRORS, 404, 409, 422),
            parameters=_COMMENT_ID,
            body=_request(
                {"action": {"type": "string", "enum": _ACTIONS}, "reason": _REASON},
                ["action"],
                "The decision.",
            ),
        )
    },
    "/mod/comments/{id}": {
        "patch": _mod_operation(
            "editCommentText",
            "Edit a comment's text",
            "Replaces the comment's Markdown (rendered and sanitised again, as when posted) "
            "whatever its status; the old text is kept in the log.\n\n"
            "Errors: 404 for an unknown comment or one on a site you do not moderate, 409 "
            "`deleted`, 422 for a bad body.",
            {"200": _MOD_COMMENT_RESPONSE} | _mod_errors(*_BODY_ERRORS, 404, 409, 422),
            parameters=_COMMENT_ID,
            body=_request({"body": _BODY_TEXT}, ["body"], "The new Markdown."),
        )
    },
    "/mod/bulk": {
        "post": _mod_operation(
            "moderateMany",
            "Decide on many comments at once",
            "Applies one action to the comments in `ids`, or to those a `filter` matches (a "
            "queue and the same filters as readQueue), at most 1000 per request: repeat for "
            "any that remain. Comments the action cannot apply to, and those on sites you do "
            "not moderate, are skipped.\n\n"
            "Errors: 400 for more than 1000 ids, 404 for a filter's unknown site, 422 for a "
            "bad action, ids or filter, or for both or neither of `ids` and `filter`.",
            {"200": _json(_schema("BulkResult"), "What changed.")}
            | _mod_errors(*_BODY_ERRORS, 404, 422),
            body=_request(
                {
                    "action": {"type": "string", "enum": _ACTIONS},
                    "ids": _nullable(
                        "array",
                        items={"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        minItems=1,
                        maxItems=1000,
                    ),
                    "filter": {
                        "type": ["object", "null"],
                        "properties": {
                            "queue": {"type": "string", "enum": _QUEUE_NAMES},
                            "site": {"type": ["string", "null"]},
                            "thread_id": _nullable("integer", minimum=1, maximum=MAX_ID),
                            "text": _nullable("string", maxLength=200),
                            "author": _nullable("string", maxLength=200),
                            "email": _nullable("string", maxLength=200),
                            "since": _nullable("string", format="date"),
                            "until": _nullable("string", format="date"),
                        },
                        "required": ["queue"],
                    },
                    "reason": _REASON,
                },
                ["action"],
                "The action and either `ids` or `filter`.",
            ),
        )
    },
    "/mod/comments/{id}/ban": {
        "post": _mod_operation(
            "banAuthor",
            "Ban a comment's author from its site",
            "Bars the author (by e-mail address and address hash, or their single sign-on "
            "identity) from commenting on the comment's site for `days` days, or for good "
            "with `days: null`. With `apply`, every comment of theirs on the site is also "
            "hidden, marked as spam or deleted.\n\n"
            "Errors: 404 for an unknown comment or one on a site you do not moderate, 422 "
            "for a bad or missing `days` or a bad `apply`.",
            {"201": _json(_schema("Ban"), "The ban.")} | _mod_errors(*_BODY_ERRORS, 404, 422),
            parameters=_COMMENT_ID,
            body=_request(
                {
                    "days": _nullable(
                        "integer",
                        minimum=1,
                        maximum=3650,
                        description="How long; null bans for good. Required.",
                    ),
                    "reason": _REASON,
                    "apply": {"enum": ["hide", "spam", "delete", None]},
                },
                ["days"],
                "How long, and what to do with the author's comments.",
            ),
        )
    },
    "/mod/bans": {
        "get": _mod_operation(
            "listBans",
            "List the bans in force",
            "Bans not lifted and not expired on the sites you moderate, newest first.",
            {"200": _json(_schema("BanList"), "The bans.")} | _mod_errors(),
        )
    },
    "/mod/bans/{id}": {
        "delete": _mod_operation(
            "liftBan",
            "Lift a ban",
            "Ends a ban at once (the lifting is logged). Lifting a lifted ban changes "
            "nothing.\n\nErrors: 404 for an unknown ban or one on a site you do not moderate.",
            {"204": _NO_BODY} | _mod_errors(404),
            parameters=[_ref("parameters", "BanId")],
        )
    },
    "/mod/threads/{id}/lock": {
        "post": _mod_operation(
            "lockThread",
            "Lock a thread",
            "No new comments, replies or edits in the thread until it is unlocked; what is "
            "there stays readable.\n\nErrors: 404 for an unknown thread or one on a site you "
            "do not moderate.",
            {"200": _json(_schema("ModThread"), "The thread, locked.")} | _mod_errors(404),
            parameters=[_ref("parameters", "ThreadId")],
        ),
        "delete": _mod_operation(
            "unlockThread",
            "Unlock a thread",
            "Opens the thread to comments again.\n\nErrors: 404 for an unknown thread or one "
            "on a site you do not moderate.",
            {"200": _json(_schema("ModThread"), "The thread, unlocked.")} | _mod_errors(404),
            parameters=[_ref("parameters", "ThreadId")],
        ),
    },
    "/mod/audit": {
        "get": _mod_operation(
            "readAuditLog",
            "Read the moderation log",
            "Every decision, edit, ban, lock and settings change on the sites you moderate, "
            "newest first.\n\nErrors: 404 for an unknown site, 400 for a bad parameter.",
            {"200": _json(_schema("AuditPage"), "A page of the log.")} | _mod_errors(400, 404),
            parameters=[
                _ref("parameters", "ModSite"),
                _query(
                    "action",
                    {"type": "string", "maxLength": 32, "examples": ["hide"]},
                    "Only entries of this action.",
                ),
                _ref("parameters", "PageNumber"),
                _query(
                    "per_page",
                    {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                    "Entries per page.",
                ),
            ],
        )
    },
    "/mod/audit/{id}/undo": {
        "post": _mod_operation(
            "undoAction",
            "Undo a logged action",
            "Reverses a decision, edit, ban or lock (see `undoable`) and logs the undo, "
            "which is returned.\n\nErrors: 404 for an unknown entry or one on a site you do "
            "not moderate, 409 when it cannot be undone (any more).",
            {"201": _json(_schema("AuditEntry"), "The new log entry recording the undo.")}
            | _mod_errors(404, 409),
            parameters=[_ref("parameters", "AuditEntryId")],
        )
    },
    "/mod/sites/{slug}/settings": {
        "get": _mod_operation(
            "readSiteSettings",
            "Read a site's moderation settings",
            "The policy that decides what happens to new comments on the site.\n\n"
            "Errors: 404 for an unknown site or one you do not moderate.",
            {"200": _json(_schema("Policy"), "The settings.")} | _mod_errors(404),
            parameters=[_ref("parameters", "SiteSlug")],
        ),
        "patch": _mod_operation(
            "changeSiteSettings",
            "Change a site's moderation settings (admins)",
            "Changes the settings given and leaves the others (and those sent as null) as "
            "they are; the change is logged with old and new values. Unlike elsewhere, an "
            "unknown setting is an error, so a misspelt one cannot pass unnoticed.\n\n"
            "Errors: 403 unless you are an admin, 404 for an unknown site, 422 naming each "
            "bad or unknown setting.",
            {"200": _json(_schema("Policy"), "The settings after the change.")}
            | _mod_errors(*_BODY_ERRORS, 403, 404, 422),
            parameters=[_ref("parameters", "SiteSlug")],
            body={
                "required": True,
                "description": "The settings to change.",
                "content": {
                    JSON: {
                        "schema": {
                            "type": "object",
                            "properties": {
                                name: _settable(schema) for name, schema in _POLICY_FIELDS.items()
                            },
                            "additionalProperties": False,
                        }
                    }
                },
            },
        ),
    },
}

_MOD_DESCRIPTION = """\
**Moderation.** The operations under `/mod/` (tag `moderation`) are for moderators' own
tools and scripts, not for readers' browsers (no cross-origin access). Each needs a
moderator's API token, created with `comments moderator token create EMAIL --name NAME` and
sent as `Authorization: Bearer cmt_...`; without a valid one the answer is 401 with
`WWW-Authenticate: Bearer`. A moderator acts only on the sites assigned to them: comments,
threads, bans and log entries elsewhere read as 404. Admins act on every site, and only they
change settings (403 for others). These answers include authors' e-mail addresses and are
sent with `Cache-Control: no-store`.
"""

_DESCRIPTION = """\
A self-hosted comments service for news sites and blogs: threads of nested replies, votes,
reports and a Markdown preview, for readers without accounts.

**Requests.** Every request with a body must send it as `Content-Type: application/json`;
anything else is 415. This is the API's CSRF defence: a cross-site HTML form cannot send JSON
without a CORS preflight. Bodies larger than MAX_REQUEST_BYTES (64 KiB by default) are 413
before parsing. Unknown JSON fields are ignored, and `null` reads as absent for optional ones.

**Errors.** Every error, whatever its status, has the one body `{"error": {"code", "message",
"fields"}}` (the `Error` schema); `fields` names each input field at fault. A method a path
does not support is 405 (with `Allow`) and an unknown path 404, in the same shape.

**Privacy.** No reader-facing response ever contains an e-mail address, a client address,
an address hash or a stored edit token. Readers (authors, voters, reporters) are told apart by
a keyed hash of their address. Avatars are identicons drawn by this service from a keyed hash.

**Editing.** Posting returns an edit token, once. Sent as `Authorization: Bearer <token>` it
lets the author edit or delete the comment for EDIT_WINDOW_SECONDS (15 minutes by default).
A deleted comment with visible replies stays as a placeholder (`deleted: true`, `author:
null`, empty `html`) so the replies keep their context; without replies it disappears.

**Pagination.** Cursors are opaque strings. A thread page's `next_cursor` continues the same
sort; a comment's `replies_cursor` and a replies page's `next_cursor` continue that comment's
replies. A malformed cursor, or one used elsewhere, is 400.
"""

DOCUMENT: Final[dict[str, Any]] = {
    "openapi": "3.1.0",
    "info": {
        "title": "comments",
        "version": "1",
        "summary": "Threaded comments for news sites and blogs.",
        "description": _DESCRIPTION + "\n" + _MOD_DESCRIPTION,
        "license": {"name": "MIT", "identifier": "MIT"},
    },
    "servers": [{"url": "/api/v1"}],
    "tags": [
        {"name": "threads", "description": "Reading threads, replies and counts."},
        {"name": "comments", "description": "Writing, reading and rating single comments."},
        {"name": "avatars", "description": "Locally drawn author pictures."},
        {"name": "meta", "description": "This document."},
        {"name": "moderation", "description": "Moderators' queues, decisions, bans and settings."},
    ],
    "paths": _PATHS | _MOD_PATHS,
    "components": {
        "schemas": _SCHEMAS | _MOD_SCHEMAS,
        "parameters": _PARAMETERS | _MOD_PARAMETERS,
        "responses": {
            name: _json(_schema("Error"), description) for name, description in _ERRORS.values()
        }
        | _mod_responses(),
        "securitySchemes": {
            "editToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The `edit_token` returned once when the comment was posted.",
            },
            "modToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "A moderator's API token (`cmt_...`), from `comments moderator "
                "token create`; revoked with `comments moderator token revoke`.",
            },
        },
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI document, as a fresh copy the caller may change."""
    return copy.deepcopy(DOCUMENT)
