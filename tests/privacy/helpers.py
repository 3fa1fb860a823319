"""Looking through the whole database for traces of a person."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from comments.extensions import Base, db
from comments.models import Comment


def address_pattern(address: str) -> re.Pattern[str]:
    # The address on its own: "malice@example.org" does not contain Alice's.
    return re.compile(r"(?<![\w.+%-])" + re.escape(address.lower()) + r"(?![\w.-])")


def traces(
    app: Flask,
    *,
    addresses: tuple[str, ...] = (),
    texts: tuple[str, ...] = (),
    skip: tuple[str, ...] = (),
) -> list[tuple[str, dict[str, Any]]]:
    """(table, row) for every row of every table whose columns mention one of the needles."""
    patterns = [address_pattern(a) for a in addresses]
    patterns += [re.compile(re.escape(t.lower())) for t in texts if t]
    found: list[tuple[str, dict[str, Any]]] = []
    with app.app_context():
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            for row in db.session.execute(select(table)).mappings():
                values = dict(row)
                text = json.dumps(values, ensure_ascii=False, default=str).lower()
                if any(p.search(text) for p in patterns):
                    found.append((table.name, values))
    return found


def identities(app: Flask, comment_ids: set[int]) -> tuple[set[str], set[str]]:
    """The address hashes and author keys stored on these comments (empty ones left out)."""
    with app.app_context():
        rows = db.session.execute(
            select(Comment.ip_hash, Comment.author_key).where(Comment.id.in_(comment_ids))
        ).all()
    return {h for h, _ in rows if h}, {k for _, k in rows if k}
