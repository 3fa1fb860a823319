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
                "pattern": r"^/api/v1/avatars/[0-9a-f]{20}\.svg$",
                "description": "Path of a locally drawn identicon (see getAvatar).",
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
            "Errors: 404 for an unknown site or parent; 409 `parent_elsewhere` (the parent is "
            "in another thread), `parent_unavailable` (the parent is not published), "
            "`thread_locked`; 422 for a field that breaks a rule.",
            {
                "201": _json(_schema("PostResult"), "Published."),
                "202": _json(
                    _schema("PostResult"), "Accepted but held for moderation (status pending)."
                ),
            }
            | _error_responses(*_BODY_ERRORS, 404, 409, 422),
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
            | _error_responses(*_BODY_ERRORS, 403, 404, 409, 422),
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
            | _error_responses(*_BODY_ERRORS, 404, 409, 422),
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
    "/preview": {
        "post": _operation(
            "previewComment",
            "comments",
            "Render a body without storing it",
            "The HTML a body would be stored as, checked by the same rules as posting.",
            {"200": _json(_schema("Preview"), "The rendered HTML.")}
            | _error_responses(*_BODY_ERRORS, 422),
            body=_request(
                {"body": _BODY_TEXT},
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

**Privacy.** No response ever contains an e-mail address, a client address, an address hash
or a stored edit token. Readers (authors, voters, reporters) are told apart by a keyed hash
of their address. Avatars are identicons drawn by this service from a keyed hash.

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
        "description": _DESCRIPTION,
        "license": {"name": "MIT", "identifier": "MIT"},
    },
    "servers": [{"url": "/api/v1"}],
    "tags": [
        {"name": "threads", "description": "Reading threads, replies and counts."},
        {"name": "comments", "description": "Writing, reading and rating single comments."},
        {"name": "avatars", "description": "Locally drawn author pictures."},
        {"name": "meta", "description": "This document."},
    ],
    "paths": _PATHS,
    "components": {
        "schemas": _SCHEMAS,
        "parameters": _PARAMETERS,
        "responses": {
            name: _json(_schema("Error"), description) for name, description in _ERRORS.values()
        },
        "securitySchemes": {
            "editToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The `edit_token` returned once when the comment was posted.",
            }
        },
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI document, as a fresh copy the caller may change."""
    return copy.deepcopy(DOCUMENT)
