"""Avatars drawn locally from a key: a symmetric 5x5 pattern, no third-party request."""

from __future__ import annotations

import hashlib

_SIZE = 5
_CELL = 8


def identicon_svg(key: str) -> str:
    """An SVG identicon for ``key``; the same key always draws the same picture."""
    digest = hashlib.sha256(key.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    colour = f"hsl({hue},55%,48%)"
    cells = []
    for row in range(_SIZE):
        for col in range((_SIZE + 1) // 2):
            if digest[2 + row * 3 + col] % 2:
                for x in {col, _SIZE - 1 - col}:
                    cells.append(
                        f'<rect x="{x * _CELL}" y="{row * _CELL}" '
                        f'width="{_CELL}" height="{_CELL}"/>'
                    )
    side = _SIZE * _CELL
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" '
        f'width="{side}" height="{side}"><rect width="{side}" height="{side}" fill="#f0f0f0"/>'
        f'<g fill="{colour}">{"".join(cells)}</g></svg>'
    )
