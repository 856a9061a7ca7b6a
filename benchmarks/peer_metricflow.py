"""Peer worker: MetricFlow (dbt-metricflow on dbt-duckdb) answering the benchmark's query, run
inside its own venv. Same protocol as peer_bsl.py ("rows", "run"); must not import this project.

Started as `<venv>/bin/python peer_metricflow.py DB START END`. It writes a small dbt project
into a temporary directory: the warehouse attached read-only, a view joining surveys to their
ticket's region, a day time spine, and the CSAT metric as MetricFlow defines ratios (good
responses / responses, x 100). `dbt run` builds the spine and the view in the project's own
DuckDB file; queries then go through MetricFlow's engine in this process (as `mf query` does,
without paying its start-up per request).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

PROJECT = """
name: sp_peer
version: "1.0"
config-version: 2
profile: sp_peer
model-paths: ["models"]
"""
PROFILES = """
sp_peer:
  target: bench
  outputs:
    bench:
      type: duckdb
      path: {home}/metricflow.duckdb
      attach:
        - path: {db}
          alias: wh
          read_only: true
"""
TIME_SPINE = """
select cast(range as date) as date_day
from range(date '2015-01-01', date '2035-01-01', interval 1 day)
"""
SURVEY_FACTS = """
select s.survey_id, s.responded_at, s.csat, t.region,
       case when s.csat >= 4 then 1 else 0 end as csat_good
from wh.main.surveys s left join wh.main.tickets t on s.ticket_id = t.ticket_id
"""
SEMANTIC = """
models:
  - name: metricflow_time_spine
    time_spine:
      standard_granularity_column: date_day
    columns:
      - name: date_day
        granularity: day
semantic_models:
  - name: survey_responses
    model: ref('survey_facts')
    defaults:
      agg_time_dimension: responded_at
    entities:
      - name: survey
        type: primary
        expr: survey_id
    dimensions:
      - name: responded_at
        type: time
        type_params:
          time_granularity: day
      - name: region
        type: categorical
    measures:
      - name: csat_good
        agg: sum
      - name: csat_n
        agg: count
        expr: csat
metrics:
  - name: csat_good_count
    label: good responses
    type: simple
    type_params:
      measure: csat_good
  - name: csat_responses
    label: responses
    type: simple
    type_params:
      measure: csat_n
  - name: csat_share
    label: CSAT share
    type: ratio
    type_params:
      numerator: csat_good_count
      denominator: csat_responses
  - name: csat
    label: CSAT
    type: derived
    type_params:
      expr: 100.0 * csat_share
      metrics:
        - name: csat_share
"""


def build(home: Path, db: str, start: date, end: date):
    (home / "models").mkdir()
    (home / "dbt_project.yml").write_text(PROJECT)
    (home / "profiles.yml").write_text(PROFILES.format(home=home, db=db))
    (home / "models" / "metricflow_time_spine.sql").write_text(TIME_SPINE)
    (home / "models" / "survey_facts.sql").write_text(SURVEY_FACTS)
    (home / "models" / "semantic.yml").write_text(SEMANTIC)

    from dbt.cli.main import dbtRunner

    args = ["run", "--quiet", "--project-dir", str(home), "--profiles-dir", str(home)]
    with contextlib.redirect_stdout(io.StringIO()):  # stdout is the protocol's
        outcome = dbtRunner().invoke(args)
    if not outcome.success:
        raise SystemExit(f"dbt run failed: {outcome.exception}")

    from dbt_metricflow.cli.cli_configuration import CLIConfiguration
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

    cfg = CLIConfiguration()
    with contextlib.redirect_stdout(io.StringIO()):
        cfg.setup(dbt_profiles_path=home, dbt_project_path=home, configure_file_logging=False)
    engine = cfg.mf

    def query():
        request = MetricFlowQueryRequest.create(
            metric_names=["csat"],
            group_by_names=["metric_time__month", "survey__region"],
            # MetricFlow's end is inclusive (day grain): the last day before END.
            time_constraint_start=datetime.combine(start, datetime.min.time()),
            time_constraint_end=datetime.combine(end - timedelta(days=1), datetime.min.time()),
        )
        return engine.query(mf_request=request).result_df

    return query


def main() -> None:
    db, start, end = sys.argv[1], date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3])
    with tempfile.TemporaryDirectory() as tmp:
        query = build(Path(tmp), db, start, end)
        for line in sys.stdin:
            request = line.strip()
            if request == "rows":
                table = query()
                names = list(table.column_names)
                at = [names.index(c) for c in ("metric_time__month", "survey__region", "csat")]
                rows = [[str(r[at[0]])[:10], r[at[1]], float(r[at[2]])] for r in table.rows]
                print(json.dumps(rows), flush=True)
            elif request == "run":
                t = time.perf_counter()
                query()
                print(json.dumps({"ms": (time.perf_counter() - t) * 1000}), flush=True)
            else:
                print(json.dumps({"error": f"unknown request {request!r}"}), flush=True)


if __name__ == "__main__":
    main()
