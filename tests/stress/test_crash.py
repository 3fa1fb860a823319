"""kill -9 the gunicorn master and every worker in the middle of the concurrent load, restart
with `comments run` on the same database, let the load finish, and check that nothing
acknowledged was lost and that the database is consistent."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.stress import harness as h
from tests.support import cli_env, scratch_database

WORKERS = 2
# Kill once this share of the load has been acknowledged.
KILL_AT = 0.4
CRASH_BUDGET_SECONDS = 60.0


@pytest.mark.slow
def test_kill_9_mid_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    began = time.monotonic()
    with scratch_database(tmp_path, "comments_stress_crash") as url:
        env = cli_env(tmp_path, url, COMMENTS_RATE_LIMITS_ENABLED="false")
        server = h.Server(env, tmp_path, WORKERS)
        plan = h.Plan(site=h.unique("crash"))
        ledger = h.Ledger(acks_wanted=int(plan.total * KILL_AT))
        serving = threading.Event()
        serving.set()
        crash: dict[str, float] = {}

        def kill_and_restart(ledger: h.Ledger) -> None:
            assert ledger.acks_event.wait(timeout=h.REQUEST_TIMEOUT * 2), ledger.summary()
            serving.clear()  # clients that lose their answer wait for the restart
            crash["acknowledged_before"] = len(ledger.acknowledged)
            crash["killed_pids"] = len(server.kill_hard())
            down = time.monotonic()
            server.start()
            crash["down_seconds"] = round(time.monotonic() - down, 2)
            serving.set()

        with h.running(server):
            h.add_site(url, tmp_path / "instance", plan.site)
            h.run_load(plan, server.port, ledger=ledger, serving=serving, during=kill_and_restart)
            stored = h.load_site(url, plan.site)
            reader = h.Http(server.port)
            api_problems, served = h.check_api(reader, plan.site, stored)
            reader.close()
        found = h.check_database(url)

    unanswered = {s.body for s in ledger.unanswered}
    committed_unanswered = sum(1 for c in stored.comments.values() if c.body in unanswered)
    figures = {
        "engine": h.ENGINE,
        "workers": WORKERS,
        **crash,
        **ledger.summary(),
        "stored": len(stored.comments),
        "unanswered_but_stored": committed_unanswered,
        "amcheck_indexes": len(found.get("amcheck", [])),
        "integrity_check": found.get("integrity_check"),
        "total_seconds": round(time.monotonic() - began, 1),
    }
    print("crash figures:", json.dumps(figures))

    # The kill happened mid-load: acknowledged comments before it, and after the restart.
    assert crash["killed_pids"] == WORKERS + 1
    assert 0 < crash["acknowledged_before"] < len(ledger.acknowledged)
    # Posts either succeeded or got no answer from a dead server: never a 5xx or a refusal.
    assert {status for _, status in ledger.statuses} <= {201, 200, h.NO_RESPONSE}, figures
    assert not ledger.refused and not ledger.problems, (ledger.refused[:3], ledger.problems)
    assert len(ledger.acknowledged) + len(ledger.unanswered) == plan.total
    assert len(ledger.acknowledged) >= plan.total * 0.9, figures

    # Every acknowledged comment survived, once, as sent; unanswered ones at most once.
    assert h.check_acknowledged(stored, ledger) == []
    assert api_problems == []
    assert served == len(stored.comments)
    assert h.check_tree(stored) == []
    h.assert_consistent(found)
    logged = h.tracebacks(server)
    assert not logged, f"{len(logged)} tracebacks logged, the first: {logged[0]}"
    assert time.monotonic() - began < CRASH_BUDGET_SECONDS, figures
