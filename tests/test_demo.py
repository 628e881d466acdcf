"""``python -m alembic_safe.demo`` end to end: every step runs and behaves as narrated."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from alembic_safe.demo import WORKER_UPDATE


def test_demo_runs_every_step() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "alembic_safe.demo"], capture_output=True, text=True,
        timeout=300, check=False,
    )
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    assert "skipped: not built yet" not in output
    assert "FAILED" not in result.stderr  # the demo's own verdict (alembic's output is indented)
    for line in (
        "== 1. alembic upgrade head on the example app",
        "alembic-safe: fresh install: the database has no applied revision and no tables",
        "ok: the example app is at head (0002)",
        "== 2. alembic-safe lint",
        "ok: lint reports the blocking CREATE INDEX (AS101)",
        "ok: the fixed examples and the app's migrations are clean",
        "== 3. alembic upgrade with an unsafe migration",
        "Inserted 1000 claims with a line item each",
        "ok: refused before running: still at 0002, no index built",
        "ok: applied: at 0003, ix_claim_line_items_cpt_code built concurrently and valid",
        "== 4. a deploy killed after a concurrent index build: the plain re-run finishes",
        "alembic-safe: index ix_claim_line_items_cpt_code already exists, valid and identical: "
        "skipped (re-run)",
        "ok: the plain re-run finished at 0003: the index already built was skipped, not "
        "refused",
        "== 5. an opt-out with a reason, first as a dry run",
        "alembic-safe: dry run: rolling back, nothing was applied",
        "allowed by allow(): payers is a reference table of a few dozen rows",
        "ok: applied at 0003; the guard printed the opt-out and its reason",
        "== 6. a session holds a lock: the guard waits at most lock_timeout, names it, retries",
        "retrying the migration's transaction in 0.5 s; on payers (SHARE lock requested), "
        "blocked by pid",
        "(application_name 'billing-worker', user postgres, idle in transaction for",
        f"query: {WORKER_UPDATE})",
        "ok: the guard gave up after lock_timeout, named the session holding the lock, and "
        "applied 0003 on retry once it was gone",
        "== 7. a data change: one big UPDATE flagged, the batched backfill applied",
        "AS602 unbatched-backfill",
        "ok: lint fails it: one UPDATE locks every row until it commits (AS602, an error)",
        "ok: the batched backfill lints clean: rendered as the key-range batches",
        "payers: 2000 names trimmed in 4 batches",
        "ok: applied at 0003: every name trimmed, 500 keys per committed batch",
        "== 8. alembic revision --autogenerate: a model change written in its safe form",
        "ok: autogenerate wrote the concurrent build in an autocommit block",
        "with op.get_context().autocommit_block():",
        "postgresql_concurrently=True",
        "ok: the runtime guard applied it unedited",
        "ok: alembic check is clean",
        "== 9. a column renamed in the model: written as a rename, every row kept",
        "with alembic_safe.allow('AS506', reason=\"column renamed in the model: "
        "info={'renamed_from': 'name'} on payers.display_name\"):",
        "new_column_name='display_name')",
        "ok: autogenerate wrote a rename, not a drop and an add, with the opt-out naming the hint",
        "ok: the runtime guard applied it unedited: 2000 payers, every name kept",
        "ok: rolled back (the downgrade renames the column back); models.py restored",
        "== 10. alembic check: passes on the app, fails on an unsafe pending migration",
        "No new upgrade operations detected",
        "ok: models, migrations and database agree",
        "ok: alembic check fails on the unsafe pending migration",
        "Detected added column 'payers.phone'",
        "ok: alembic check fails on model drift (models.py restored)",
        "== 11. alembic revision --autogenerate: an enum value added in the middle, in place",
        "op.add_enum_type_value('claim_status', 'in_review', after='submitted')",
        "ok: autogenerate added the value in place (ADD VALUE ... AFTER 'submitted')",
        "ok: the runtime guard applied it unedited: claim_status is draft, submitted, "
        "in_review, accepted, denied, paid",
        "Demo finished",
    ):
        assert line in output
    # the catalog really shows the example app's schema
    assert "Enum claim_status: draft, submitted, accepted, denied, paid" in output
    assert "claims.ix_claims_status (status)" in output
    # the refusal printed by the guard names the rule
    refusal = output[output.index("== 3.") : output.index("ok: refused")]
    assert "create-index-not-concurrent" in refusal
    # the temporary copy of the app is gone
    copied = re.search(r"app copied to (\S+)", output)
    assert copied is not None
    assert not Path(copied.group(1)).exists()
    assert not Path(copied.group(1)).parent.exists()
