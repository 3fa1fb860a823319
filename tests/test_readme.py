"""The README stays true: its configuration table lists every setting there is."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from comments.config import ENV_PREFIX, Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `" + ENV_PREFIX + r"([A-Z_]+)` \|", README.read_text(), re.M))
    declared = {field.name for field in dataclasses.fields(Settings)}
    assert declared - documented == set(), "settings missing from the README"
    assert documented - declared == set(), "README documents settings that do not exist"


def test_the_readme_starts_with_the_two_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)\n```", README.read_text(), re.S)
    assert blocks[0] == (
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/comments demo"
    )
    assert blocks[1] == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/pytest"
    )
