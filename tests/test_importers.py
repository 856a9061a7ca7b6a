"""Importers on real things: the real CFPB sample, real DuckDB files, real PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.paths import CFPB_SAMPLE
from tools.errors import ImportValidationError, MappingError
from tools.importers import import_file, load_mapping

CFPB = CFPB_SAMPLE
TABLES = ("customers", "products", "agents", "orders", "tickets", "surveys", "sp_imports")

# Measured on the real sample (6,623 complaints): 54 distinct (Product, Sub-product) pairs,
# 2,942 distinct (State, ZIP code) pairs (273 rows have neither -> one "cfpb-c-unknown").
EXPECTED = {"tickets": 6623, "products": 54, "customers": 2942}


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        have = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] if t in have else 0
            for t in TABLES
        }
    finally:
        con.close()


def url(db: Path) -> str:
    return f"duckdb:///{db}"


def raw_sample() -> pd.DataFrame:
    return pd.read_csv(CFPB, dtype=str, keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def cfpb_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cfpb") / "warehouse.duckdb"
    result = import_file(CFPB, "cfpb", url(db))
    assert result.status == "imported"
    return db


def test_cfpb_sample_row_counts(cfpb_db: Path) -> None:
    got = counts(cfpb_db)
    assert {t: got[t] for t in EXPECTED} == EXPECTED
    assert got["sp_imports"] == 1
    assert got["agents"] == got["orders"] == got["surveys"] == 0


def test_an_import_rebuilds_the_customer_segments(cfpb_db: Path) -> None:
    """Complaints imported: every customer gets segments as of the new data end (no orders
    here, so every value tier is other_tier; the complaint tags still count)."""
    con = duckdb.connect(str(cfpb_db), read_only=True)
    try:
        customers, segmented, tiers, last = con.execute(
            "SELECT (SELECT count(*) FROM customers), count(*), list(DISTINCT value_tier), "
            "(SELECT max(created_at) FROM tickets) FROM customer_segments"
        ).fetchone()
        as_of = con.execute("SELECT DISTINCT as_of FROM customer_segments").fetchall()
    finally:
        con.close()
    assert segmented == customers > 0 and tiers == ["other_tier"]
    assert [row[0].date() for row in as_of] == [last.date() + timedelta(days=1)]


def test_cfpb_rows_match_raw_csv(cfpb_db: Path) -> None:
    raw = raw_sample().set_index("Complaint ID")
    con = duckdb.connect(str(cfpb_db), read_only=True)
    try:
        # First data row of the file (spreadsheet row 2): a credit-report complaint from FL.
        row = con.execute(
            "SELECT customer_id, channel, ticket_type, category, status, region, created_at, "
            "first_response_at, sla_due_at, reopened_count, subject, description, resolution, "
            "language, source FROM tickets WHERE ticket_id = 'cfpb-3571115'"
        ).fetchone()
        src = raw.loc["3571115"]
        assert src["Submitted via"] == "Web" and src["State"] == "FL"
        assert row[0] == f"cfpb-c-FL-{src['ZIP code']}"
        assert row[1:6] == ("web_form", "complaint", "credit_report", "closed", "us_south")
        assert str(row[6]) == "2020-03-18 00:00:00" and src["Date received"] == "2020/3/18"
        assert str(row[7]) == "2020-03-18 00:00:00"
        assert str(row[8]) == "2020-04-02 00:00:00"  # + 15 days
        assert row[9] == 0
        assert row[10] == f"{src['Issue']} / {src['Sub-issue']}"
        assert row[11] is None  # no narrative in this row
        assert row[12] == f"{src['Company response to consumer']}. {src['Company public response']}"
        assert row[13:] == ("en", "cfpb")

        # A row with a narrative: the narrative is kept verbatim as description.
        with_text = raw[raw["Consumer complaint narrative"].notna()].iloc[0]
        desc, channel = con.execute(
            "SELECT description, channel FROM tickets WHERE ticket_id = ?",
            [f"cfpb-{with_text.name}"],
        ).fetchone()
        assert desc == with_text["Consumer complaint narrative"]
        assert (
            channel
            == {
                "Web": "web_form",
                "Referral": "referral",
                "Phone": "phone",
                "Postal mail": "postal_mail",
                "Fax": "fax",
                "Email": "email",
            }[with_text["Submitted via"]]
        )

        # Every channel and status count equals the raw CSV's.
        by_channel = dict(
            con.execute("SELECT channel, count(*) FROM tickets GROUP BY 1").fetchall()
        )
        assert by_channel["phone"] == int((raw["Submitted via"] == "Phone").sum()) == 482
        assert by_channel["web_form"] == 5143
        open_ = con.execute("SELECT count(*) FROM tickets WHERE status = 'open'").fetchone()[0]
        assert open_ == 35 + 37  # "In progress" + "Untimely response"
        disputed = con.execute("SELECT sum(reopened_count) FROM tickets").fetchone()[0]
        assert disputed == int((raw["Consumer disputed?"] == "Yes").sum()) == 9
        unknown = con.execute(
            "SELECT region, city FROM customers WHERE customer_id = 'cfpb-c-unknown'"
        ).fetchone()
        assert unknown == ("us_unknown", "unknown")
        # signup_date = the customer's earliest complaint (reduce: min over all its rows).
        fl = raw[(raw["State"] == "FL") & (raw["ZIP code"] == "330XX")]
        first = pd.to_datetime(fl["Date received"], format="%Y/%m/%d").min()
        signup = con.execute(
            "SELECT signup_date FROM customers WHERE customer_id = 'cfpb-c-FL-330XX'"
        ).fetchone()[0]
        assert pd.Timestamp(signup) == first
        # products: every ticket's product exists.
        orphans = con.execute(
            "SELECT count(*) FROM tickets t LEFT JOIN products p USING (product_id) "
            "WHERE p.product_id IS NULL"
        ).fetchone()[0]
        assert orphans == 0
    finally:
        con.close()


def test_reimport_is_a_no_op(cfpb_db: Path) -> None:
    before = counts(cfpb_db)
    again = import_file(CFPB, "cfpb", url(cfpb_db))
    assert again.status == "already_imported"
    assert again.rows == {"tickets": 0, "products": 0, "customers": 0}
    assert counts(cfpb_db) == before


def test_overlapping_newer_file_skips_existing_ids(tmp_path: Path) -> None:
    raw = pd.read_csv(CFPB, dtype=str, keep_default_na=False)
    db = tmp_path / "w.duckdb"
    raw.iloc[:100].to_csv(tmp_path / "old.csv", index=False)
    newer = raw.iloc[50:130].copy()
    newer.loc[newer.index[:50], "Consumer complaint narrative"] = "changed later"
    newer.to_csv(tmp_path / "new.csv", index=False)
    import_file(tmp_path / "old.csv", "cfpb", url(db))
    result = import_file(tmp_path / "new.csv", "cfpb", url(db))
    assert result.status == "imported"
    assert result.rows["tickets"] == 30 and result.skipped["tickets"] == 50
    assert counts(db)["tickets"] == 130
    assert counts(db)["sp_imports"] == 2
    con = duckdb.connect(str(db), read_only=True)
    changed = con.execute(
        "SELECT count(*) FROM tickets WHERE description = 'changed later'"
    ).fetchone()[0]
    con.close()
    assert changed == 0  # insert-only: existing rows are never rewritten


def test_corrupted_copy_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    raw = pd.read_csv(CFPB, dtype=str, keep_default_na=False)
    raw.loc[4, "Date received"] = "2019/13/45"  # spreadsheet row 6
    raw.loc[9, "Submitted via"] = "Carrier pigeon"  # row 11
    raw.loc[14, "Complaint ID"] = ""  # row 16
    raw.loc[19, "Complaint ID"] = raw.loc[2, "Complaint ID"]  # row 21 duplicates row 4
    raw.loc[24, "Date sent to company"] = "2010/1/1"  # row 26: before Date received
    bad = tmp_path / "bad.csv"
    raw.to_csv(bad, index=False)
    db = tmp_path / "w.duckdb"
    with pytest.raises(ImportValidationError) as info:
        import_file(bad, "cfpb", url(db))
    problems = info.value.problems
    assert info.value.total == 5 and info.value.exit_code == 4
    assert problems[0].startswith(
        "bad.csv row 6: column 'Date received' -> tickets.created_at: '2019/13/45' is not a "
        "date in format '%Y/%m/%d'."
    )
    assert problems[1].startswith(
        "bad.csv row 11: column 'Submitted via' -> tickets.channel: value 'Carrier pigeon' is "
        "not in the mapping's `map`. Known values: 'Web', 'Phone', 'Email', 'Postal mail', "
        "'Fax', 'Referral'."
    )
    assert problems[2].startswith(
        "bad.csv row 16: column 'Complaint ID' -> tickets.ticket_id: value is required but blank."
    )
    assert problems[3].startswith(
        f"bad.csv row 21: column 'Complaint ID' -> tickets.ticket_id: duplicate id "
        f"'cfpb-{raw.loc[2, 'Complaint ID']}' (from 'Complaint ID'); it first appears in row 4."
    )
    assert problems[4] == (
        "bad.csv row 26: tickets.first_response_at ('Date sent to company') 2010-01-01 is "
        f"before tickets.created_at ('Date received') "
        f"{pd.to_datetime(raw.loc[24, 'Date received'], format='%Y/%m/%d'):%Y-%m-%d}. "
        "Fix: correct one of the two dates."
    )
    assert all(n == 0 for n in counts(db).values())


def test_unknown_code_lists_valid_codes(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yml"
    mapping.write_text(
        "name: tiny\nsource: tiny\ntables:\n  customers:\n    columns:\n"
        "      customer_id: ID\n      segment: Segment\n      region: {const: east}\n"
        "      city: {const: Shanghai}\n      signup_date: {from: Since}\n"
    )
    data = tmp_path / "c.csv"
    data.write_text("ID,Segment,Since\nc1,vip,2024-01-05\nc2,gold,2024-02-30\n")
    with pytest.raises(ImportValidationError) as info:
        import_file(data, mapping, url(tmp_path / "w.duckdb"))
    assert info.value.problems == [
        "c.csv row 3: column 'Since' -> customers.signup_date: '2024-02-30' is not a date in "
        "ISO format (YYYY-MM-DD). Fix: correct the date, or set `format:` for this column in "
        "the mapping (strftime codes, e.g. '%Y/%m/%d').",
        "c.csv row 3: column 'Segment' -> customers.segment: unknown code 'gold'. Valid codes: "
        "vip, business, standard. Fix: correct the value, add it to the column's `map`, or "
        "declare it under `codes: customers.segment`.",
    ]


def test_survey_scores_and_time_order(tmp_path: Path) -> None:
    mapping = tmp_path / "s.yml"
    mapping.write_text(
        "name: surveys\nsource: poll\ntables:\n  surveys:\n    columns:\n"
        "      survey_id: {id: {prefix: 's-', from: id}}\n      ticket_id: ticket\n"
        "      customer_id: customer\n      sent_at: sent\n      responded_at: answered\n"
        "      csat: csat\n      nps: nps\n"
    )
    data = tmp_path / "s.csv"
    data.write_text(
        "id,ticket,customer,sent,answered,csat,nps\n"
        "1,t1,c1,2024-01-01 10:00,2024-01-01 11:00,5,10\n"
        "2,t2,c2,2024-01-02 10:00,2024-01-01 09:00,6,-1\n"
        "3,t3,c3,2024-01-03 10:00,,3.5,\n"
    )
    with pytest.raises(ImportValidationError) as info:
        import_file(data, mapping, url(tmp_path / "w.duckdb"))
    assert info.value.problems == [
        "s.csv row 3: column 'csat' -> surveys.csat: score 6 is out of range 1..5. Fix: "
        "correct the score or leave it blank (no answer).",
        "s.csv row 3: column 'nps' -> surveys.nps: score -1 is out of range 0..10. Fix: "
        "correct the score or leave it blank (no answer).",
        "s.csv row 3: surveys.responded_at ('answered') 2024-01-01 09:00:00 is before "
        "surveys.sent_at ('sent') 2024-01-02 10:00:00. Fix: correct one of the two dates.",
        "s.csv row 4: column 'csat' -> surveys.csat: '3.5' is not a whole number. Fix: correct "
        "the value or `map` it to a number.",
    ]
    data.write_text("id,ticket,customer,sent,answered,csat,nps\n1,t1,c1,2024-01-01 10:00,,4,9\n")
    result = import_file(data, mapping, url(tmp_path / "w.duckdb"))
    assert result.rows == {"surveys": 1}


def test_csv_parquet_excel_give_identical_tables(tmp_path: Path) -> None:
    raw = raw_sample().iloc[:300]
    raw.to_csv(tmp_path / "c.csv", index=False)
    raw.to_parquet(tmp_path / "c.parquet", index=False)
    raw.to_excel(tmp_path / "c.xlsx", index=False)
    tables = {}
    for suffix in ("csv", "parquet", "xlsx"):
        db = tmp_path / f"{suffix}.duckdb"
        result = import_file(tmp_path / f"c.{suffix}", "cfpb", url(db))
        assert result.rows["tickets"] == 300
        con = duckdb.connect(str(db), read_only=True)
        tables[suffix] = {
            t: con.execute(f"SELECT * FROM {t} ORDER BY 1").df()
            for t in ("tickets", "products", "customers")
        }
        con.close()
    for table in ("tickets", "products", "customers"):
        pd.testing.assert_frame_equal(tables["csv"][table], tables["parquet"][table])
        pd.testing.assert_frame_equal(tables["csv"][table], tables["xlsx"][table])


# ------------------------------------------------------------ mapping errors (snapshots)


def test_unknown_mapping_key_says_where_and_did_you_mean(tmp_path: Path) -> None:
    mapping = tmp_path / "bad_key.yml"
    mapping.write_text(
        "version: 1\nname: tiny\nsource: tiny\ntables:\n  tickets:\n    columns:\n"
        "      ticket_id: {id: {prefix: 't-', form: ID}}\n"
    )
    with pytest.raises(MappingError) as info:
        load_mapping(mapping)
    assert str(info.value).replace(str(mapping), "<m>") == (
        "Invalid mapping <m> (2 problem(s)):\n"
        "  - <m>:7: field 'tables.tickets.columns.ticket_id.id': required key 'from' is "
        "missing; add it.\n"
        "  - <m>:7: field 'tables.tickets.columns.ticket_id.id.form': unknown key. Did you mean "
        "'from'? Valid keys: prefix, from, sep, hash."
    )


def test_mapping_schema_errors_snapshot(tmp_path: Path) -> None:
    mapping = tmp_path / "schema.yml"
    mapping.write_text(
        "name: tiny\nsource: tiny\ntables:\n  tickets:\n    columns:\n"
        "      ticket_id: ID\n      chanel: {const: phone}\n"
        "      priority: {const: urgnt}\n"
    )
    with pytest.raises(MappingError) as info:
        load_mapping(mapping)
    text = str(info.value).replace(str(mapping), "<m>")
    assert text.splitlines()[:3] == [
        "Invalid mapping <m> (3 problem(s)):",
        "  - <m>:7: field 'tables.tickets.columns.chanel': unknown column 'chanel' of table "
        "tickets. Did you mean 'channel'? Columns: ticket_id, customer_id, product_id, agent_id, "
        "order_id, channel, ticket_type, category, priority, status, region, created_at, "
        "first_response_at, resolved_at, closed_at, sla_due_at, reopened_count, agent_replies, "
        "contacts, escalated, handle_minutes, cost, service_revenue, subject, description, "
        "resolution, root_cause, language, company, sla_met.",
        "  - <m>:8: field 'tables.tickets.columns.priority.const': 'urgnt' is not a valid "
        "tickets.priority code. Did you mean 'urgent'? Valid: low, normal, high, urgent "
        "(declare more under `codes:`).",
    ]
    assert text.splitlines()[3].startswith(
        "  - <m>:5: field 'tables.tickets.columns': required column(s) of tickets not mapped: "
        "customer_id, channel, ticket_type, category, status, region, created_at, sla_due_at"
    )


def test_missing_source_column_snapshot(tmp_path: Path) -> None:
    mapping = tmp_path / "missing_col.yml"
    mapping.write_text(
        "name: tiny\nsource: tiny\ntables:\n  products:\n    columns:\n"
        "      product_id: {id: {prefix: 'p-', from: Product ID}}\n      product_name: Name\n"
        "      product_line: {const: misc}\n      category: {const: misc}\n"
    )
    data = tmp_path / "products.csv"
    data.write_text("Product Id,Name\n1,Widget\n")
    with pytest.raises(ImportValidationError) as info:
        import_file(data, mapping, url(tmp_path / "w.duckdb"))
    assert str(info.value) == (
        "Import refused: 1 problem(s) found, no rows were written.\n"
        "  - products.csv: column 'Product ID' (needed for products.product_id) is missing. "
        "Did you mean 'Product Id'? Columns in the file: 'Product Id', 'Name'. Fix: rename the "
        "column in the file or change the mapping missing_col.yml."
    )


def test_builtin_mapping_by_name_and_typo() -> None:
    assert load_mapping("cfpb").name == "cfpb"
    with pytest.raises(MappingError, match="Did you mean 'cfpb'"):
        load_mapping("cfbp")


def test_yaml_yes_no_are_text_not_booleans() -> None:
    spec = load_mapping("cfpb").spec
    assert spec.tables["tickets"].columns["reopened_count"].map == {"Yes": 1, "No": 0, "N/A": 0}


# ------------------------------------------------------------------------------- CLI


def _cli():  # noqa: ANN202
    from assistant.cli import main

    return main


def test_cli_json(tmp_path: Path) -> None:
    from click.testing import CliRunner

    runner = CliRunner()
    db = tmp_path / "w.duckdb"
    sample = tmp_path / "s.csv"
    pd.read_csv(CFPB, dtype=str, keep_default_na=False).iloc[:200].to_csv(sample, index=False)
    args = ["import", str(sample), "--mapping", "cfpb", "--db", str(db), "--json"]
    first = runner.invoke(_cli(), args)
    assert first.exit_code == 0, first.output
    payload = json.loads(first.stdout)
    assert payload["ok"] is True and payload["status"] == "imported"
    assert payload["rows"]["tickets"] == 200 and payload["skipped"]["tickets"] == 0
    assert payload["problems"] == []
    second = json.loads(runner.invoke(_cli(), args).stdout)
    assert second["status"] == "already_imported" and second["rows"]["tickets"] == 0

    text = sample.read_text().replace("2020/3/18", "2020/3/48", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    failed = runner.invoke(
        _cli(),
        ["import", str(bad), "--mapping", "cfpb", "--db", str(tmp_path / "x.duckdb"), "--json"],
    )
    assert failed.exit_code == 4
    payload = json.loads(failed.stdout)
    assert payload["ok"] is False and payload["total_problems"] == 1
    assert payload["problems"][0].startswith("bad.csv row 2: column 'Date received'")


def test_cli_dry_run_writes_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    db = tmp_path / "w.duckdb"
    sample = tmp_path / "s.csv"
    pd.read_csv(CFPB, dtype=str, keep_default_na=False).iloc[:50].to_csv(sample, index=False)
    out = CliRunner().invoke(
        _cli(), ["import", str(sample), "--mapping", "cfpb", "--db", str(db), "--dry-run"]
    )
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("Would import s.csv with mapping cfpb: tickets 50")
    assert not db.exists()


# ------------------------------------------------------------------------ PostgreSQL


@pytest.mark.postgres
def test_same_import_on_postgres(postgres_url: str, cfpb_db: Path) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()
    result = import_file(CFPB, "cfpb", postgres_url)
    assert result.rows == EXPECTED
    assert import_file(CFPB, "cfpb", postgres_url).status == "already_imported"
    engine = sa.create_engine(postgres_url)
    query = (
        "SELECT ticket_id, customer_id, product_id, channel, category, status, region, "
        "created_at, sla_due_at, reopened_count, escalated, description "
        "FROM tickets ORDER BY ticket_id"
    )
    try:
        with engine.connect() as conn:
            for table, n in EXPECTED.items():
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == n
            pg = pd.read_sql(sa.text(query), conn)
    finally:
        engine.dispose()
    con = duckdb.connect(str(cfpb_db), read_only=True)
    dd = con.execute(query).df()
    con.close()
    pd.testing.assert_frame_equal(
        pg.astype(str).reset_index(drop=True), dd.astype(str).reset_index(drop=True)
    )
