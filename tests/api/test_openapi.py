"""The OpenAPI document: valid OpenAPI 3.1, complete, and true of real responses.

``validate_response`` checks one real response against the document: its status code must be
documented for the operation, its content type too, and its body must match the schema
(JSON Schema 2020-12, with ``#/components/...`` references resolved in the document). The
traffic tests below send real requests through the test client and check every response.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from referencing import Registry
from referencing.jsonschema import DRAFT202012

# The official OpenAPI 3.1 meta-schema (2022-10-07), bundled with schemathesis, a dev
# dependency; openapi-spec-validator is not installed.
from schemathesis.specs.openapi.definitions import OPENAPI_31
from werkzeug.wrappers import Response as BaseResponse

from comments.api import openapi
from tests.factories import DEFAULT_URI, Api, make_site

API_PREFIX = "/api/v1"
DOCUMENT_URI = "urn:comments:openapi"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# --- Validating responses against the document ---------------------------------------------

# jsonschema checks "date-time" only with an optional package; this is RFC 3339's grammar.
FORMATS = FormatChecker(formats=())
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value)  # a real date and time, not just the right shape
    return bool(_RFC3339.match(value))


def _pointer(*parts: str) -> str:
    """A JSON pointer (RFC 6901) from unescaped parts."""
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def _resolve(document: dict[str, Any], ref: str) -> tuple[str, Any]:
    """Follow a local ``#/...`` reference: (its pointer, its target)."""
    assert ref.startswith("#/"), ref
    target: Any = document
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    return ref[1:], target


def schema_validator(document: dict[str, Any], pointer: str) -> Draft202012Validator:
    """A validator for the schema at ``pointer`` whose ``#/components/...`` refs resolve."""
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, DRAFT202012.create_resource(document)
    )
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}"}, registry=registry, format_checker=FORMATS
    )


def check_instance(document: dict[str, Any], pointer: str, instance: Any) -> None:
    """Raise AssertionError, naming the first problem, unless ``instance`` matches."""
    errors = list(schema_validator(document, pointer).iter_errors(instance))
    if errors:
        error = best_match(errors)
        raise AssertionError(
            f"{error.json_path}: {error.message}\n(schema {pointer}; {len(errors)} error(s))"
        )


def validate_response(
    document: dict[str, Any], method: str, path_template: str, response: BaseResponse
) -> Any:
    """Check ``response`` against the documented operation; return its parsed body.

    Fails (AssertionError) for an undocumented operation, status code or content type, for a
    body where the document says none, and for a body that does not match the schema.
    """
    operation = document["paths"].get(path_template, {}).get(method.lower())
    if operation is None:
        raise AssertionError(f"{method} {path_template} is not in the document")
    status = str(response.status_code)
    if status not in operation["responses"]:
        raise AssertionError(
            f"{method} {path_template} answered {status}, which is not documented "
            f"(documented: {sorted(operation['responses'])}): {response.get_data(as_text=True)}"
        )
    pointer = _pointer("paths", path_template, method.lower(), "responses", status)
    documented = operation["responses"][status]
    if "$ref" in documented:
        pointer, documented = _resolve(document, documented["$ref"])
    content = documented.get("content")
    if not content:
        if response.get_data():
            raise AssertionError(f"{method} {path_template} {status} must have no body")
        return None
    mimetype = response.mimetype or ""
    if mimetype not in content:
        raise AssertionError(
            f"{method} {path_template} {status} sent {mimetype!r}, documented: {sorted(content)}"
        )
    pointer += _pointer("content", mimetype, "schema")
    if mimetype == "application/json":
        body: Any = json.loads(response.get_data(as_text=True))
    else:
        body = response.get_data(as_text=True)
    check_instance(document, pointer, body)
    return body


# --- Fixtures ----------------------------------------------------------------------------


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    """The document as served."""
    response = client.get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    served: dict[str, Any] = response.get_json()
    return served


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    make_site(app)
    return Api(client)


@dataclasses.dataclass
class Checked:
    """An Api whose every response is checked against the document."""

    api: Api
    document: dict[str, Any]

    def call(
        self,
        method: str,
        template: str,
        path: str | None = None,
        token: str | None = None,
        **kwargs: Any,
    ) -> tuple[int, Any]:
        """Send a request to ``path`` (default: the template itself); (status, checked body)."""
        url = API_PREFIX + (path or template)
        response = self.api.send(method, url, token, **kwargs)
        return response.status_code, validate_response(self.document, method, template, response)

    def post(self, body: str = "Hello", **fields: Any) -> dict[str, Any]:
        payload = {"site": "news", "uri": DEFAULT_URI, "body": body, **fields}
        status, data = self.call("POST", "/comments", json=payload)
        assert status == 201, data
        return dict(data)

    def thread(self, **params: Any) -> dict[str, Any]:
        query = {"site": "news", "uri": DEFAULT_URI, **params}
        status, data = self.call("GET", "/threads", query_string=query)
        assert status == 200, data
        return dict(data)


@pytest.fixture
def checked(api: Api, document: dict[str, Any]) -> Checked:
    return Checked(api, document)


def _set(app: Flask, **changes: Any) -> None:
    """Change settings on the running app, as tests/api/test_threads.py does."""
    settings = app.extensions["comments.settings"]
    app.extensions["comments.settings"] = dataclasses.replace(settings, **changes)


# --- The document itself -----------------------------------------------------------------


def test_served_document_is_the_module_document(document: dict[str, Any]) -> None:
    assert document == openapi.document()
    assert document["openapi"] == "3.1.0"


def test_document_is_valid_openapi_31(document: dict[str, Any]) -> None:
    validator = validator_for(OPENAPI_31)(OPENAPI_31)
    errors = sorted(validator.iter_errors(document), key=lambda e: e.json_path)
    assert not errors, [f"{e.json_path}: {e.message}" for e in errors]


def test_meta_schema_check_can_fail(document: dict[str, Any]) -> None:
    document["paths"]["/threads"]["get"]["parameters"][1]["in"] = "body"
    assert not validator_for(OPENAPI_31)(OPENAPI_31).is_valid(document)


def _schemas(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    """Every schema object the document holds outside components.schemas."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema":
                yield f"{where}/{key}", value
            elif not (where == "#/components" and key == "schemas"):
                yield from _schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(value, f"{where}/{index}")


def test_every_schema_is_valid_json_schema_2020_12(document: dict[str, Any]) -> None:
    named = [(f"#/components/schemas/{n}", s) for n, s in document["components"]["schemas"].items()]
    inline = list(_schemas(document))
    assert len(named) >= 10 and len(inline) >= 20
    for where, schema in named + inline:
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as exc:
            raise AssertionError(f"{where} is not a valid schema: {exc}") from exc


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_reference_resolves_and_every_component_is_used(document: dict[str, Any]) -> None:
    refs = set(_refs(document))
    for ref in refs:
        _resolve(document, ref)  # KeyError if dangling
    components = {
        f"#/components/{kind}/{name}"
        for kind, entries in document["components"].items()
        if kind != "securitySchemes"
        for name in entries
    }
    assert components - refs == set(), "components nothing refers to"


def _route_key(rule: str) -> str:
    """A Flask rule or OpenAPI path with each parameter reduced to {} for comparison."""
    return re.sub(r"<[^>]*>|\{[^}]*\}", "{}", rule)


def route_differences(app: Flask, document: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(routes the app serves that the document lacks, operations documented but not served),
    each as "METHOD /path" under /api/v1, HEAD and OPTIONS aside."""
    served = {
        f"{method} {_route_key(rule.rule.removeprefix(API_PREFIX))}"
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API_PREFIX + "/")
        for method in (rule.methods or set()) - IGNORED_METHODS
    }
    documented = {
        f"{method.upper()} {_route_key(path)}"
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    return served - documented, documented - served


def test_every_api_route_is_documented_with_its_methods(
    app: Flask, document: dict[str, Any]
) -> None:
    undocumented, unserved = route_differences(app, document)
    assert undocumented == set(), "routes missing from the document"
    assert unserved == set(), "documented operations the app does not serve"


def test_route_check_fails_for_a_new_route_or_a_stale_path(app: Flask) -> None:
    document = openapi.document()  # not the served one: no request before add_url_rule
    app.add_url_rule(f"{API_PREFIX}/comments/<int:cid>/pin", "pin", lambda cid: "", methods=["PUT"])
    del document["paths"]["/preview"]
    document["paths"]["/gone"] = {"get": {}}
    assert route_differences(app, document) == (
        {"PUT /comments/{}/pin", "POST /preview"},
        {"GET /gone"},
    )


def _parameters(document: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _resolve(document, p["$ref"])[1] if "$ref" in p else p
        for p in operation.get("parameters", [])
    ]


def test_path_parameters_match_the_templates(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            declared = [p for p in _parameters(document, operation) if p["in"] == "path"]
            assert all(p["required"] for p in declared)
            names = {p["name"] for p in declared}
            assert names == set(re.findall(r"\{([^}]+)\}", path)), f"{method} {path}"


def test_every_operation_is_described_and_every_error_uses_the_error_schema(
    document: dict[str, Any],
) -> None:
    operation_ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            assert operation["summary"] and len(operation["description"]) > 20, path
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    _, response = _resolve(document, response["$ref"])
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)
    assert len(operation_ids) == len(set(operation_ids)), "operation ids must be unique"
    error = document["components"]["schemas"]["Error"]
    assert error["additionalProperties"] is False
    assert error["properties"]["error"]["additionalProperties"] is False


def test_documented_parameter_limits(document: dict[str, Any]) -> None:
    def parameter(path: str, name: str) -> dict[str, Any]:
        operation = document["paths"][path]["get"]
        return next(p for p in _parameters(document, operation) if p["name"] == name)

    limit = parameter("/threads", "limit")["schema"]
    assert (limit["type"], limit["minimum"], limit["maximum"]) == ("integer", 1, 200)
    assert parameter("/threads", "sort")["schema"]["enum"] == ["oldest", "newest", "top"]
    assert parameter("/counts", "uri")["schema"]["maxItems"] == 100
    comment_id = parameter("/comments/{id}", "id")
    assert comment_id["schema"]["minimum"] == 1 and comment_id["required"] is True
    vote = document["paths"]["/comments/{id}/votes"]["post"]["requestBody"]
    assert vote["content"]["application/json"]["schema"]["properties"]["value"]["enum"] == [
        1,
        -1,
        0,
    ]


def test_document_returns_a_copy() -> None:
    first = openapi.document()
    first["paths"].clear()
    assert openapi.document()["paths"]


# --- The helper can fail -----------------------------------------------------------------


def _fake(body: Any, status: int = 200, mimetype: str = "application/json") -> Response:
    data = json.dumps(body) if mimetype == "application/json" else body
    return Response(data, status=status, mimetype=mimetype)


VALID_VOTES = {"likes": 1, "dislikes": 0, "score": 1}


@pytest.mark.parametrize(
    ("response", "problem"),
    [
        (_fake({"likes": 1, "dislikes": 0}), "'score' is a required property"),
        (_fake({**VALID_VOTES, "email": "a@b.example"}), "Additional properties"),
        (_fake({**VALID_VOTES, "likes": "1"}), "is not of type 'integer'"),
        (_fake(VALID_VOTES, status=201), "201, which is not documented"),
        (_fake(VALID_VOTES, status=500), "500, which is not documented"),
        (_fake("{}", mimetype="text/html"), "sent 'text/html'"),
        (_fake({"error": {"code": "x", "message": "m"}}, status=404), "'fields' is a required"),
    ],
    ids=["missing", "extra", "wrong-type", "status-201", "status-500", "mimetype", "error"],
)
def test_validate_response_rejects(
    document: dict[str, Any], response: Response, problem: str
) -> None:
    assert validate_response(document, "POST", "/comments/{id}/votes", _fake(VALID_VOTES))
    with pytest.raises(AssertionError, match=re.escape(problem)):
        validate_response(document, "POST", "/comments/{id}/votes", response)


def test_validate_response_checks_nested_comments_and_formats(document: dict[str, Any]) -> None:
    comment: dict[str, Any] = {
        "id": 1,
        "parent_id": None,
        "depth": 0,
        "author": None,
        "html": "",
        "created_at": "2026-11-27T12:00:00.5Z",
        "edited_at": None,
        "status": "deleted",
        "likes": 0,
        "dislikes": 0,
        "score": 0,
        "deleted": True,
        "reply_count": 1,
        "replies": [],
        "replies_cursor": None,
    }
    reply = {**comment, "id": 2, "parent_id": 1, "depth": 1, "created_at": "yesterday"}
    page = {"comments": [{**comment, "replies": [reply]}], "next_cursor": None}
    with pytest.raises(AssertionError, match="is not a 'date-time'"):
        validate_response(document, "GET", "/comments/{id}/replies", _fake(page))
    reply["created_at"] = "2026-11-27T12:00:00+01:00"
    reply["status"] = "removed"
    with pytest.raises(AssertionError, match="'removed' is not one of"):
        validate_response(document, "GET", "/comments/{id}/replies", _fake(page))
    reply["status"] = "approved"
    assert validate_response(document, "GET", "/comments/{id}/replies", _fake(page)) == page
    with pytest.raises(AssertionError, match="must have no body"):
        validate_response(document, "DELETE", "/comments/{id}", _fake({}, status=204))
    with pytest.raises(AssertionError, match="not in the document"):
        validate_response(document, "PUT", "/comments/{id}", _fake({}))


# --- Real traffic ------------------------------------------------------------------------


def test_write_and_read_a_thread(checked: Checked) -> None:
    posted = checked.post(
        "Root *one*",
        title="A story",
        url="https://news.example/story",
        author_name="Zoë",
        author_email="zoe@example.org",
        author_url="zoe.example",
    )
    root = posted["comment"]["id"]
    assert posted["edit_token"]
    reply = checked.post("A reply", parent_id=root)["comment"]
    checked.post("Nested", parent_id=reply["id"])
    checked.post("Second root")

    page = checked.thread()
    assert [c["depth"] for c in page["comments"][0]["replies"][0]["replies"]] == [2]
    assert page["thread"]["comment_count"] == 4

    status, comment = checked.call("GET", "/comments/{id}", f"/comments/{root}")
    assert status == 200 and comment["author"]["name"] == "Zoë"
    status, _ = checked.call("GET", "/comments/{id}", f"/comments/{root}", posted["edit_token"])
    assert status == 200
    status, replies = checked.call("GET", "/comments/{id}/replies", f"/comments/{root}/replies")
    assert status == 200 and [c["id"] for c in replies["comments"]] == [reply["id"]]
    assert [c["depth"] for c in replies["comments"][0]["replies"]] == [2]

    status, counts = checked.call(
        "GET", "/counts", query_string={"site": "news", "uri": [DEFAULT_URI, "/none", " /none "]}
    )
    assert status == 200 and counts == {"counts": {DEFAULT_URI: 4, "/none": 0}}
    status, preview = checked.call("POST", "/preview", json={"body": "**bold**"})
    assert status == 200 and "<strong>bold</strong>" in preview["html"]

    voter = Checked(Api(checked.api.client, "198.51.100.7"), checked.document)
    status, votes = voter.call(
        "POST", "/comments/{id}/votes", f"/comments/{root}/votes", json={"value": -1}
    )
    assert status == 200 and votes == {"likes": 0, "dislikes": 1, "score": -1}
    status, receipt = voter.call(
        "POST",
        "/comments/{id}/reports",
        f"/comments/{root}/reports",
        json={"reason": "off_topic", "note": "why"},
    )
    assert status == 202 and receipt == {"status": "received"}

    status, edited = checked.call(
        "PATCH",
        "/comments/{id}",
        f"/comments/{root}",
        posted["edit_token"],
        json={"body": "Edited"},
    )
    assert status == 200 and edited["edited_at"] is not None
    status, nothing = checked.call(
        "DELETE", "/comments/{id}", f"/comments/{root}", posted["edit_token"]
    )
    assert status == 204 and nothing is None

    # The deleted root has replies: it stays as a placeholder, without author or text.
    placeholder = checked.thread()["comments"][0]
    assert placeholder["id"] == root and placeholder["deleted"] is True
    assert placeholder["author"] is None and placeholder["html"] == ""
    assert placeholder["replies"][0]["id"] == reply["id"]
    status, _ = checked.call("GET", "/comments/{id}", f"/comments/{root}")
    assert status == 200


def test_no_response_contains_an_email(checked: Checked, client: FlaskClient) -> None:
    checked.post("Hi", author_email="secret.person@example.org", author_name="S")
    checked.post("Hi again", author_email="secret.person@example.org", author_name="S")
    for response in (
        client.get(f"{API_PREFIX}/threads", query_string={"site": "news", "uri": DEFAULT_URI}),
        client.get(f"{API_PREFIX}/comments/1"),
        client.get(f"{API_PREFIX}/comments/1/replies"),
    ):
        assert "secret.person" not in response.get_data(as_text=True)


def test_cursors(app: Flask, checked: Checked) -> None:
    _set(app, REPLIES_PER_PAGE=2)
    roots = [checked.post(f"root {i}")["comment"]["id"] for i in range(3)]
    replies = [checked.post(f"r{i}", parent_id=roots[0])["comment"]["id"] for i in range(5)]

    first = checked.thread(limit=2)
    assert first["next_cursor"] and len(first["comments"]) == 2
    rest = checked.thread(limit=2, cursor=first["next_cursor"])
    assert [c["id"] for c in rest["comments"]] == [roots[2]] and rest["next_cursor"] is None

    top = first["comments"][0]
    assert [c["id"] for c in top["replies"]] == replies[:2] and top["replies_cursor"]
    path = f"/comments/{roots[0]}/replies"
    status, page = checked.call(
        "GET", "/comments/{id}/replies", path, query_string={"cursor": top["replies_cursor"]}
    )
    assert status == 200 and [c["id"] for c in page["comments"]] == replies[2:4]
    status, page = checked.call(
        "GET",
        "/comments/{id}/replies",
        path,
        query_string={"cursor": page["next_cursor"], "limit": 1},
    )
    assert [c["id"] for c in page["comments"]] == replies[4:] and page["next_cursor"] is None


def test_other_responses(checked: Checked, client: FlaskClient) -> None:
    status, svg = checked.call("GET", "/avatars/{key}.svg", "/avatars/0123456789abcdef0123.svg")
    assert status == 200 and svg.startswith("<svg")
    status, _ = checked.call("GET", "/avatars/{key}.svg", "/avatars/short.svg")
    assert status == 404
    status, served = checked.call("GET", "/openapi.json")
    assert status == 200 and served["openapi"] == "3.1.0"
    # The author's avatar link, as served in a comment, answers with the picture.
    avatar = checked.post("x")["comment"]["author"]["avatar"]
    response = client.get(avatar)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"


def test_empty_thread(checked: Checked) -> None:
    page = checked.thread(uri="/nobody-here", sort="top")
    assert page["comments"] == [] and page["thread"]["comment_count"] == 0


# Each error case: (method, template, path, request arguments, expected status, error field).
ErrorCase = tuple[str, str, str, dict[str, Any], int, str | None]


def _error_cases(checked: Checked) -> dict[str, ErrorCase]:
    mine = checked.post("mine")
    cid, token = mine["comment"]["id"], mine["edit_token"]
    other = checked.post("elsewhere", uri="/other-story")["comment"]["id"]
    new = {"site": "news", "uri": DEFAULT_URI}
    one = f"/comments/{cid}"
    many = [f"/{i}" for i in range(101)]
    return {
        "400-cursor": ("GET", "/threads", "/threads",
                       {"query_string": {**new, "cursor": "!!!"}}, 400, "cursor"),
        "400-limit": ("GET", "/threads", "/threads",
                      {"query_string": {**new, "limit": 201}}, 400, "limit"),
        "400-replies-cursor": ("GET", "/comments/{id}/replies", f"{one}/replies",
                               {"query_string": {"cursor": "eyJrIjoicGFnZSJ9"}}, 400, "cursor"),
        "400-json": ("POST", "/comments", "/comments",
                     {"data": "{", "content_type": "application/json"}, 400, None),
        "400-too-many-uris": ("GET", "/counts", "/counts",
                              {"query_string": {"site": "news", "uri": many}}, 400, "uri"),
        "401": ("PATCH", "/comments/{id}", one, {"json": {"body": "x"}}, 401, None),
        "403-token": ("DELETE", "/comments/{id}", one, {"token": "wrong"}, 403, None),
        "403-own-vote": ("POST", "/comments/{id}/votes", f"{one}/votes",
                         {"json": {"value": 1}}, 403, None),
        "404-comment": ("GET", "/comments/{id}", "/comments/999999", {}, 404, None),
        "404-site": ("GET", "/counts", "/counts", {"query_string": {"site": "nope"}}, 404, "site"),
        "404-parent": ("POST", "/comments", "/comments",
                       {"json": {**new, "body": "x", "parent_id": 999999}}, 404, "parent_id"),
        "409-parent-elsewhere": ("POST", "/comments", "/comments",
                                 {"json": {**new, "body": "x", "parent_id": other}}, 409,
                                 "parent_id"),
        "413": ("POST", "/preview", "/preview",
                {"data": b'{"body": "' + b"x" * 200_000 + b'"}',
                 "content_type": "application/json"}, 413, None),
        "415": ("POST", "/comments/{id}/reports", f"{one}/reports",
                {"data": "reason=spam", "content_type": "application/x-www-form-urlencoded"},
                415, None),
        "422-body": ("PATCH", "/comments/{id}", one, {"token": token, "json": {"body": " "}},
                     422, "body"),
        "422-vote": ("POST", "/comments/{id}/votes", f"{one}/votes", {"json": {"value": 2}},
                     422, "value"),
        "422-reason": ("POST", "/comments/{id}/reports", f"{one}/reports",
                       {"json": {"reason": "boring"}}, 422, "reason"),
        "422-uri": ("GET", "/threads", "/threads",
                    {"query_string": {"site": "news", "uri": "/a\x01b"}}, 422, "uri"),
    }  # fmt: skip


ERROR_CASES = [
    "400-cursor", "400-limit", "400-replies-cursor", "400-json", "400-too-many-uris", "401",
    "403-token", "403-own-vote", "404-comment", "404-site", "404-parent",
    "409-parent-elsewhere", "413", "415", "422-body", "422-vote", "422-reason", "422-uri",
]  # fmt: skip


@pytest.mark.parametrize("name", ERROR_CASES)
def test_error_responses(checked: Checked, name: str) -> None:
    method, template, path, kwargs, expected, field = _error_cases(checked)[name]
    status, body = checked.call(method, template, path, **kwargs)
    assert status == expected, body
    if field:
        assert field in body["error"]["fields"], body


def test_error_case_table_is_complete(checked: Checked) -> None:
    assert sorted(_error_cases(checked)) == sorted(ERROR_CASES)


def test_conflicts_after_the_edit_window(app: Flask, checked: Checked) -> None:
    mine = checked.post("mine")
    path, token = f"/comments/{mine['comment']['id']}", mine["edit_token"]
    _set(app, EDIT_WINDOW_SECONDS=0)
    status, body = checked.call("PATCH", "/comments/{id}", path, token, json={"body": "late"})
    assert status == 409 and body["error"]["code"] == "edit_window_closed"
    status, body = checked.call("DELETE", "/comments/{id}", path, token)
    assert status == 409 and body["error"]["code"] == "edit_window_closed"
    status, body = checked.call(
        "POST", "/comments/{id}/reports", f"{path}/reports", json={"reason": "spam"}
    )
    assert status == 202
    status, body = checked.call(
        "POST", "/comments/{id}/reports", f"{path}/reports", json={"reason": "spam"}
    )
    assert status == 409 and body["error"]["code"] == "already_reported"


def test_undocumented_errors_still_use_the_error_schema(
    document: dict[str, Any], client: FlaskClient
) -> None:
    """405 and unknown paths belong to no operation; the document promises the Error shape."""
    for response in (
        client.put(f"{API_PREFIX}/comments"),
        client.get(f"{API_PREFIX}/nothing-here"),
    ):
        assert response.status_code in (404, 405)
        check_instance(document, "/components/schemas/Error", response.get_json())
    with pytest.raises(AssertionError):
        check_instance(document, "/components/schemas/Error", {"error": "nope"})
