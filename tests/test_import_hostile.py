"""Hostile files: every one ends in a message naming file, row and column, with exit code 4
(2 for a bad mapping), never a traceback; with `--on-bad-rows quarantine` the good rows land
and the bad ones are recorded in sp_quarantine in the same transaction."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from assistant.cli import main as cli
from tools.importers import import_file

MAPPING = """\
name: hostile
source: hostile
tables:
  tickets:
    columns:
      ticket_id: id
      customer_id: customer
      channel: {const: phone}
      ticket_type: {const: complaint}
      category: {const: quality}
      priority: {const: normal}
      status: {const: open}
      region: {const: east}
      created_at: {from: created%s}
      resolved_at: resolved
      sla_due_at: {from: created, add_days: 2}
      reopened_count: reopened
      contacts: contacts
      handle_minutes: minutes
      escalated: {const: false}
      description: text
      language: {const: zh}
"""
HEADER = "id,customer,created,resolved,reopened,contacts,minutes,text\n"
ROW = "t{n},c1,2024-01-02 10:00,2024-01-03 10:00,0,1,5.5,{text}\n"


def rows(*texts: str) -> str:
    return HEADER + "".join(ROW.format(n=i, text=t) for i, t in enumerate(texts, start=1))


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "m.yml"
    path.write_text(MAPPING % "")
    return path


def run(path: Path, mapping: Path, *extra: str) -> tuple[int, dict]:
    """`servicepilot import --json`: exit code and the JSON printed."""
    db = path.parent / "w.duckdb"
    args = ["import", str(path), "--mapping", str(mapping), "--db", str(db), "--json", *extra]
    out = CliRunner().invoke(cli, args)
    assert out.exception is None or isinstance(out.exception, SystemExit), out.exception
    return out.exit_code, json.loads(out.stdout)


def table(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def refused(path: Path, mapping: Path) -> str:
    code, payload = run(path, mapping)
    assert code == 4 and payload["ok"] is False, payload
    assert payload["total_problems"] == 1
    assert not (path.parent / "w.duckdb").exists() or table(
        path.parent / "w.duckdb", "SELECT count(*) FROM tickets"
    ) == [(0,)]
    return payload["problems"][0]


# ----------------------------------------------------------------------- encodings


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("gbk", "gbk"), ("gb18030", "gb18030"), ("utf16", "utf-16"), ("bom", "utf-8-sig")],
)
def test_encodings_are_detected(tmp_path: Path, mapping: Path, name: str, encoding: str) -> None:
    path = tmp_path / f"{name}.csv"
    # GB18030 and the Unicode encodings also hold characters outside GBK (U+20000)
    second = "空调不制冷" if encoding == "gbk" else "空调不制冷 \U00020000"
    path.write_bytes(rows("热水器漏水，师傅一直不来", second).encode(encoding))
    code, payload = run(path, mapping)
    assert code == 0, payload
    assert payload["rows"] == {"tickets": 2}
    got = table(tmp_path / "w.duckdb", "SELECT description FROM tickets ORDER BY ticket_id")
    assert got == [("热水器漏水，师傅一直不来",), (second,)]


def test_undecidable_encoding_names_file_row_column(tmp_path: Path, mapping: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(rows("ok", "café au lait").encode("latin-1"))
    message = refused(path, mapping)
    assert message.startswith(
        "latin1.csv row 3, column 'text': cannot tell the file's text encoding: byte 0xE9 is "
        "neither UTF-8 nor GB18030/GBK. Fix: save the file as UTF-8, or set `reader.encoding`"
    )
    (tmp_path / "m2.yml").write_text(
        MAPPING.replace("tables:", "reader: {encoding: latin-1}\ntables:", 1) % ""
    )
    code, payload = run(path, tmp_path / "m2.yml")
    assert code == 0 and payload["rows"] == {"tickets": 2}
    got = table(tmp_path / "w.duckdb", "SELECT description FROM tickets ORDER BY ticket_id")
    assert got == [("ok",), ("café au lait",)]


def test_wrong_encoding_override_names_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(rows("ok", "热水器").encode("gbk"))
    (tmp_path / "m.yml").write_text(
        MAPPING.replace("tables:", "reader: {encoding: utf-8}\ntables:", 1) % ""
    )
    message = refused(path, tmp_path / "m.yml")
    assert message.startswith(
        "gbk.csv row 3, column 'text': byte 0xC8 cannot be decoded as utf-8 (set by "
        "`reader.encoding` in the mapping)."
    )


# ------------------------------------------------------------------- broken files


def test_empty_file(tmp_path: Path, mapping: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    assert refused(tmp_path / "empty.csv", mapping).startswith(
        "empty.csv row 1: the file is empty (no header row, no data)."
    )


def test_header_only_file_is_not_an_import_of_zero_rows(tmp_path: Path, mapping: Path) -> None:
    (tmp_path / "header.csv").write_text(HEADER)
    assert refused(tmp_path / "header.csv", mapping).startswith(
        "header.csv row 2: 0 data rows (the file has only a header, or only blank rows)"
    )
    assert table(tmp_path / "w.duckdb", "SELECT count(*) FROM sp_imports") == [(0,)]


def test_unbalanced_quote(tmp_path: Path, mapping: Path) -> None:
    (tmp_path / "quote.csv").write_text(rows("fine", '"never closed', "more"))
    assert refused(tmp_path / "quote.csv", mapping).startswith(
        "quote.csv row 3, column 'text': a quote (\") opens a value that is never closed"
    )


def test_too_many_fields(tmp_path: Path, mapping: Path) -> None:
    (tmp_path / "wide.csv").write_text(rows("fine", "a,b"))
    assert refused(tmp_path / "wide.csv", mapping).startswith(
        "wide.csv row 3, column number 9: 9 values where the header has 8"
    )


def test_twenty_digit_number(tmp_path: Path, mapping: Path) -> None:
    text = rows("x").replace(",0,1,5.5,", ",0,12345678901234567890,5.5,")
    (tmp_path / "big.csv").write_text(text)
    assert refused(tmp_path / "big.csv", mapping) == (
        "big.csv row 2: column 'contacts' -> tickets.contacts: '12345678901234567890' is too "
        "large for the column (at most 2,147,483,647). Fix: correct the value (an id or phone "
        "number in a numeric column?)."
    )


@pytest.mark.parametrize(("suffix", "kind"), [(".parquet", "Parquet"), (".xlsx", "Excel (.xlsx)")])
def test_not_really_parquet_or_excel(tmp_path: Path, mapping: Path, suffix: str, kind: str) -> None:
    path = tmp_path / f"fake{suffix}"
    path.write_text(rows("x"))
    assert refused(path, mapping).startswith(
        f"fake{suffix} (whole file): not a readable {kind} file; it looks like text (CSV?): "
        "rename it to .csv"
    )


def test_bad_date_format_in_mapping_is_a_mapping_error(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(rows("x"))
    for fmt, expected in [
        ("%Y-%m-%d %Q", "invalid date format '%Y-%m-%d %Q'"),
        ("YYYY-MM-DD", "date format 'YYYY-MM-DD' has no strftime codes"),
    ]:
        (tmp_path / "m.yml").write_text(MAPPING % f", format: '{fmt}'")
        code, payload = run(tmp_path / "d.csv", tmp_path / "m.yml")
        assert code == 2 and payload["error"] == "MappingError", payload
        assert (
            f"m.yml:14: field 'tables.tickets.columns.created_at.format': {expected}"
            in (payload["message"])
        )


# ------------------------------------------------------------------ plausibility


def test_impossible_timestamps_name_row_and_column(tmp_path: Path, mapping: Path) -> None:
    text = HEADER + (
        "t1,c1,9999-12-31 10:00,,0,1,5,x\n"
        "t2,c1,0001-01-01 00:00,,0,1,5,x\n"
        "t3,c1,2024-01-05 10:00,2024-01-04 10:00,0,1,5,x\n"
    )
    (tmp_path / "dates.csv").write_text(text)
    code, payload = run(tmp_path / "dates.csv", mapping)
    assert code == 4 and payload["total_problems"] == 3
    window = f"2000-01-01 .. {(pd.Timestamp.today() + pd.Timedelta(days=1)):%Y-%m-%d}"
    assert payload["problems"][:2] == [
        f"dates.csv row 2: column 'created' -> tickets.created_at: 9999-12-31 10:00:00 is "
        f"outside the plausible window {window}. Fix: correct the date (a placeholder such as "
        "9999-12-31 or 0001-01-01?), or widen `checks: {earliest, days_ahead}` in the mapping.",
        f"dates.csv row 3: column 'created' -> tickets.created_at: 0001-01-01 is outside the "
        f"plausible window {window}. Fix: correct the date (a placeholder such as 9999-12-31 or "
        "0001-01-01?), or widen `checks: {earliest, days_ahead}` in the mapping.",
    ]
    assert payload["problems"][2].startswith(
        "dates.csv row 4: tickets.resolved_at ('resolved') 2024-01-04 10:00:00 is before "
        "tickets.created_at ('created')"
    )


def test_negative_counts(tmp_path: Path, mapping: Path) -> None:
    text = rows("x").replace(",0,1,5.5,", ",-1,1,-5.5,")
    (tmp_path / "neg.csv").write_text(text)
    code, payload = run(tmp_path / "neg.csv", mapping)
    assert code == 4
    assert payload["problems"] == [
        "neg.csv row 2: column 'reopened' -> tickets.reopened_count: -1 is negative; a count, "
        "duration or amount cannot be. Fix: correct the value or leave it blank.",
        "neg.csv row 2: column 'minutes' -> tickets.handle_minutes: -5.5 is negative; a count, "
        "duration or amount cannot be. Fix: correct the value or leave it blank.",
    ]


def test_long_text_nul_and_formula_are_imported_with_warnings(
    tmp_path: Path, mapping: Path
) -> None:
    long = "很长" * 15_000  # 30,000 characters
    text = rows(long, "a\x00b\x01c", '"=HYPERLINK(""http://x"",""y"")"', "-5 degrees", "- item")
    (tmp_path / "t.csv").write_text(text)
    code, payload = run(tmp_path / "t.csv", mapping)
    assert code == 0, payload
    assert payload["rows"] == {"tickets": 5} and payload["total_warnings"] == 3
    assert payload["warnings"] == [
        "t.csv row 2: column 'text' -> tickets.description: 30,000 characters, truncated to "
        "20,000 (`checks: max_text_chars` in the mapping).",
        "t.csv row 3: column 'text' -> tickets.description: control characters (NUL etc.) "
        "removed from the text.",
        "t.csv row 4: column 'text' -> tickets.description: starts like a spreadsheet formula "
        "(= + - @); stored as text. Open exports of it in a spreadsheet only as text.",
    ]
    got = table(tmp_path / "w.duckdb", "SELECT length(description) FROM tickets ORDER BY ticket_id")
    assert got == [(20_000,), (3,), (26,), (10,), (6,)]


# -------------------------------------------------------------------- quarantine


def test_quarantine_writes_good_rows_and_records_bad_ones(tmp_path: Path, mapping: Path) -> None:
    text = HEADER + (
        "t1,c1,2024-01-02 10:00,,0,1,5,good\n"
        "t2,c1,9999-12-31 10:00,,0,1,5,future\n"
        "t3,c1,2024-01-02 10:00,,0,-2,5,negative\n"
        "t1,c1,2024-01-02 10:00,,0,1,5,repeated id\n"
        "t5,c1,2024-01-03 10:00,,0,1,5,good too\n"
    )
    (tmp_path / "q.csv").write_text(text)
    code, payload = run(tmp_path / "q.csv", mapping, "--on-bad-rows", "quarantine")
    assert code == 0, payload
    assert payload["rows"] == {"tickets": 2}
    assert payload["quarantined_rows"] == 3 and payload["quarantined_problems"] == 3
    db = tmp_path / "w.duckdb"
    assert table(db, "SELECT ticket_id FROM tickets ORDER BY 1") == [("t1",), ("t5",)]
    got = table(
        db,
        "SELECT q.source, q.file_name, q.file_row, q.field, q.value, q.import_id = i.import_id "
        "FROM sp_quarantine q, sp_imports i ORDER BY q.file_row",
    )
    assert got == [
        (
            "hostile",
            "q.csv",
            3,
            "column 'created' -> tickets.created_at",
            "9999-12-31 10:00:00",
            True,
        ),
        ("hostile", "q.csv", 4, "column 'contacts' -> tickets.contacts", "-2", True),
        ("hostile", "q.csv", 5, "column 'id' -> tickets.ticket_id", "t1", True),
    ]
    reasons = [r[0] for r in table(db, "SELECT reason FROM sp_quarantine ORDER BY file_row")]
    assert reasons[2].startswith("column 'id' -> tickets.ticket_id: duplicate id")


def test_refuse_is_still_the_default(tmp_path: Path, mapping: Path) -> None:
    (tmp_path / "r.csv").write_text(HEADER + "t1,c1,2024-01-02 10:00,,0,1,5,a\nt2,c1,x,,0,1,5,b\n")
    with pytest.raises(Exception) as info:
        import_file(tmp_path / "r.csv", mapping, f"duckdb:///{tmp_path / 'w.duckdb'}")
    assert getattr(info.value, "exit_code", None) == 4
    assert table(tmp_path / "w.duckdb", "SELECT count(*) FROM tickets") == [(0,)]


@pytest.mark.postgres
def test_quarantine_on_postgres(postgres_url: str, tmp_path: Path, mapping: Path) -> None:
    # A NUL inside a bad value must not break PostgreSQL's COPY of the quarantine row.
    text = HEADER + "pg1,c1,2024-01-02 10:00,,0,1,5,good\npg2,c1,20\x0024-01-02,,0,1,5,bad\n"
    (tmp_path / "pg.csv").write_text(text)
    result = import_file(tmp_path / "pg.csv", mapping, postgres_url, on_bad_rows="quarantine")
    assert result.rows == {"tickets": 1} and result.quarantined_rows == 1
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            got = conn.execute(
                sa.text(
                    "SELECT file_row, field, value FROM sp_quarantine WHERE file_name = 'pg.csv'"
                )
            ).all()
            kept = conn.execute(sa.text("SELECT ticket_id FROM tickets WHERE ticket_id LIKE 'pg%'"))
            assert [r[0] for r in kept] == ["pg1"]
    finally:
        engine.dispose()
    assert [tuple(r) for r in got] == [(3, "column 'created' -> tickets.created_at", "2024-01-02")]
