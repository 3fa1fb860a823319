"""docs/SECURITY.md promises that every test it names exists: keep it true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def test_every_test_named_in_the_security_model_exists() -> None:
    text = (ROOT / "docs" / "SECURITY.md").read_text()
    references = set(REFERENCE.findall(text))
    assert len(references) > 40
    missing = [
        f"{path}::{name}"
        for path, name in sorted(references)
        if not (ROOT / path).is_file()
        or not re.search(rf"^\s*def {name}\(", (ROOT / path).read_text(), re.MULTILINE)
    ]
    assert missing == []
