"""docs/webhooks.md stays true: its Python receiver check accepts a real call and refuses
forgeries, and it names every event the service sends."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from comments.services import webhooks
from tests.factories import Api
from tests.webhooks.helpers import Receiver, add_hook, work

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def documented_verify() -> Callable[..., bool]:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    [code] = [block for block in blocks if "def verify(" in block]
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # our own documentation
    verify: Callable[..., bool] = namespace["verify"]
    return verify


def test_the_documented_python_check_accepts_a_real_call_and_nothing_else(
    app: Flask, api: Api, receiver: Receiver
) -> None:
    verify = documented_verify()
    _, secret = add_hook(app, receiver.url + "/hook")
    api.comment("Hello")
    assert work(app) == (1, 0)
    [call] = receiver.calls
    stamp, signature = call.headers["x-comments-timestamp"], call.headers["x-comments-signature"]
    assert verify(secret, stamp, call.body, signature)
    assert not verify(secret, stamp, call.body.replace(b"Hello", b"Hellp"), signature)
    assert not verify("whsec_other", stamp, call.body, signature)
    assert not verify(secret, str(int(stamp) - 1), call.body, signature)
    # A replay with its old timestamp: the signature matches, the age does not.
    old = str(int(time.time()) - 3600)
    replayed = webhooks.sign(secret, int(old), call.body)
    assert not verify(secret, old, call.body, replayed)
    assert webhooks.verify_signature(secret, old, call.body, replayed, tolerance=7200)
    assert not webhooks.verify_signature(secret, old, call.body, replayed)


def test_every_event_is_documented() -> None:
    text = DOC.read_text()
    for event in (*webhooks.EVENTS, webhooks.PING):
        assert f"| `{event}` |" in text, event
    for header in ("X-Comments-Event", "X-Comments-Delivery", "X-Comments-Timestamp",
                   "X-Comments-Signature"):  # fmt: skip
        assert f"| `{header}` |" in text, header
    assert "COMMENTS_WEBHOOKS_ALLOW_PRIVATE" in text
