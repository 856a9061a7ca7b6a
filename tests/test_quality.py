"""`servicepilot quality`: every problem kind counted per source, on rows planted with SQL."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from click.testing import CliRunner

from assistant.cli import main as cli
from tests.test_import_hostile import HEADER, MAPPING

COPY = """
INSERT INTO tickets SELECT * REPLACE ('{id}' AS ticket_id, created_at + INTERVAL {days} DAY
    AS created_at, sla_due_at + INTERVAL {days} DAY AS sla_due_at, {description} AS description)
FROM tickets WHERE ticket_id = 't1'
"""


def test_quality_report_counts_each_problem(tmp_path: Path) -> None:
    (tmp_path / "m.yml").write_text(MAPPING % "")
    good = "".join(
        f"t{i},c{i},2024-01-0{i % 9 + 1} 10:00,,0,1,5,complaint number {i}\n" for i in range(1, 11)
    )
    (tmp_path / "t.csv").write_text(HEADER + good + "t99,c1,9999-12-31 10:00,,0,1,5,x\n")
    db = tmp_path / "w.duckdb"
    args = ["import", str(tmp_path / "t.csv"), "--mapping", str(tmp_path / "m.yml")]
    out = CliRunner().invoke(cli, [*args, "--db", str(db), "--on-bad-rows", "quarantine"])
    assert out.exit_code == 0, out.output
    con = duckdb.connect(str(db))
    try:
        # Same customer, same text up to case and punctuation, two days later: a duplicate.
        con.execute(COPY.format(id="d1", days=2, description="'Complaint number 1!'"))
        # Same text 30 days later: not a duplicate within 7 days.
        con.execute(COPY.format(id="d2", days=30, description="description"))
        con.execute(
            COPY.format(id="f1", days="(DATE '9999-12-01' - created_at::DATE)", description="'x'")
        )
        con.execute("UPDATE tickets SET channel = 'pigeon' WHERE ticket_id = 't2'")
        con.execute("UPDATE tickets SET customer_id = '  ' WHERE ticket_id = 't3'")
    finally:
        con.close()
    result = CliRunner().invoke(cli, ["quality", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    (source,) = json.loads(result.stdout)["sources"]
    examples = source.pop("examples")
    assert source == {
        "source": "hostile",
        "rows": 13,
        "duplicates": 1,
        "missing_required": 1,
        "invalid_codes": 1,
        "impossible_timestamps": 2,  # f1: created_at and sla_due_at in 9999
        "quarantined_rows": 1,
        "late_arrivals": None,
        "score": round(100 * (1 - 6 / 14), 1),
    }
    assert examples["duplicates"] == ["d1"]
    assert examples["invalid_codes"] == ["tickets.channel='pigeon'"]
    assert examples["missing_required"] == ["tickets.customer_id: tickets t3"]
    text = CliRunner().invoke(cli, ["quality", "--db", str(db)])
    assert text.exit_code == 0
    assert text.stdout.splitlines()[1].split() == ["hostile", "13", "1", "1", "1", "2", "1", "57.1"]
