"""Independent pandas implementations of every certified metric, written from the metric
descriptions (not from the YAML), to check the compiler's numbers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

HOUR = pd.Timedelta(hours=1)


def load_tables(engine) -> dict[str, pd.DataFrame]:
    with engine.connect() as conn:
        return {
            t: pd.read_sql_table(t, conn)
            for t in ("tickets", "surveys", "orders", "customers", "products", "agents")
        }


def _bucket(ts: pd.Series, grain: str | None) -> pd.Series:
    if grain is None:
        return pd.Series("all", index=ts.index)
    freq = {"day": "D", "week": "W-MON", "month": "M", "quarter": "Q", "year": "Y"}[grain]
    if grain == "week":
        return (ts.dt.normalize() - pd.to_timedelta(ts.dt.weekday, unit="D")).dt.date
    return ts.dt.to_period(freq).dt.start_time.dt.date


def _scope(
    frame: pd.DataFrame,
    time_col: str,
    start: date,
    end: date,
    grain: str | None,
    dim: str | None,
    filters: dict[str, str],
) -> pd.DataFrame:
    out = frame[
        frame[time_col].notna()
        & (frame[time_col] >= pd.Timestamp(start))
        & (frame[time_col] < pd.Timestamp(end))
    ]
    for field, value in filters.items():
        out = out[out[field] == value]
    out = out.assign(
        _period=_bucket(out[time_col], grain),
        _dim=out[dim].astype(object).fillna("<null>") if dim else "all",
    )
    return out


def enrich(t: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    customers = t["customers"].rename(
        columns={
            "segment": "customer.segment",
            "region": "customer.region",
            "churned_at": "customer.churned_at",
        }
    )
    products = t["products"].rename(columns={"product_line": "product.product_line"})
    tickets = t["tickets"].merge(
        customers[["customer_id", "customer.segment", "customer.region", "customer.churned_at"]],
        on="customer_id",
        how="left",
    )
    tickets = tickets.merge(
        products[["product_id", "product.product_line"]], on="product_id", how="left"
    )
    surveys = t["surveys"].merge(
        tickets[["ticket_id", "region", "channel", "customer.segment", "product.product_line"]],
        on="ticket_id",
        how="left",
    )
    orders = (
        t["orders"]
        .merge(customers[["customer_id", "customer.segment"]], on="customer_id", how="left")
        .merge(products[["product_id", "product.product_line"]], on="product_id", how="left")
    )
    return {"tickets": tickets, "surveys": surveys, "orders": orders}


def _ratio(num: pd.Series, den: pd.Series, mult: float = 100.0) -> pd.Series:
    num, den = num.align(den, fill_value=0)
    return (num * mult / den.replace(0, np.nan)).dropna()


def compute(
    metric: str,
    t: dict[str, pd.DataFrame],
    start: date,
    end: date,
    grain: str | None,
    dim: str | None,
    filters: dict[str, str],
) -> pd.Series:
    """Metric value per (_period, _dim) for the rows with data."""
    tk, sv, od = t["tickets"], t["surveys"], t["orders"]

    def by(frame, col):
        return _scope(frame, col, start, end, grain, dim, filters).groupby(["_period", "_dim"])

    def count(frame, col, mask=None):
        f = _scope(frame, col, start, end, grain, dim, filters)
        if mask is not None:
            f = f[mask(f)]
        return f.groupby(["_period", "_dim"]).size()

    hours_fr = (tk["first_response_at"] - tk["created_at"]) / HOUR
    hours_res = (tk["resolved_at"] - tk["created_at"]) / HOUR
    tk = tk.assign(_frh=hours_fr, _resh=hours_res)
    resolved = lambda f: f["resolved_at"].notna()  # noqa: E731
    match metric:
        case "ticket_volume":
            return count(tk, "created_at")
        case "complaint_volume":
            return count(tk, "created_at", lambda f: f["ticket_type"] == "complaint")
        case "resolved_tickets":
            return count(tk, "resolved_at")
        case "first_response_time_median":
            return by(tk, "created_at")["_frh"].median().dropna()
        case "first_response_time_p90":
            return by(tk, "created_at")["_frh"].quantile(0.9).dropna()
        case "resolution_time_median":
            return by(tk, "resolved_at")["_resh"].median().dropna()
        case "resolution_time_p90":
            return by(tk, "resolved_at")["_resh"].quantile(0.9).dropna()
        case "average_handle_time":
            return by(tk, "created_at")["handle_minutes"].mean().dropna()
        case "first_contact_resolution":
            return _ratio(
                count(
                    tk, "resolved_at", lambda f: (f["contacts"] == 1) & (f["reopened_count"] == 0)
                ),
                count(tk, "resolved_at", resolved),
            )
        case "reopen_rate":
            return _ratio(
                count(tk, "resolved_at", lambda f: f["reopened_count"] > 0),
                count(tk, "resolved_at"),
            )
        case "sla_compliance":
            return _ratio(
                count(tk, "resolved_at", lambda f: f["resolved_at"] <= f["sla_due_at"]),
                count(tk, "resolved_at"),
            )
        case "sla_breach_rate":
            return _ratio(
                count(tk, "resolved_at", lambda f: f["resolved_at"] > f["sla_due_at"]),
                count(tk, "resolved_at"),
            )
        case "resolution_rate":
            return _ratio(count(tk, "created_at", resolved), count(tk, "created_at"))
        case "closure_rate":
            return _ratio(
                count(tk, "created_at", lambda f: f["closed_at"].notna()), count(tk, "created_at")
            )
        case "complaint_timeliness":
            complaint = lambda f: f["ticket_type"] == "complaint"  # noqa: E731
            return _ratio(
                count(
                    tk,
                    "resolved_at",
                    lambda f: complaint(f) & (f["resolved_at"] <= f["sla_due_at"]),
                ),
                count(tk, "resolved_at", complaint),
            )
        case "repeat_complaint_rate":
            complaint = lambda f: f["ticket_type"] == "complaint"  # noqa: E731
            return _ratio(
                count(tk, "created_at", lambda f: complaint(f) & (f["contacts"] > 1)),
                count(tk, "created_at", complaint),
            )
        case "escalation_rate":
            return _ratio(
                count(tk, "created_at", lambda f: f["escalated"].astype(bool)),
                count(tk, "created_at"),
            )
        case "repeat_contact_rate":
            return _ratio(
                count(tk, "created_at", lambda f: f["contacts"] > 1), count(tk, "created_at")
            )
        case "cost_per_ticket":
            return by(tk, "created_at")["cost"].apply(lambda s: s.astype(float).mean()).dropna()
        case "service_revenue":
            return by(tk, "created_at")["service_revenue"].apply(lambda s: s.astype(float).sum())
        case "churn_rate_90d_after_complaint":
            f = _scope(tk, "created_at", start, end, grain, dim, filters)
            f = f[f["ticket_type"] == "complaint"]
            gap = f["customer.churned_at"] - f["created_at"]
            churned = f[(gap >= pd.Timedelta(0)) & (gap <= pd.Timedelta(days=90))]
            return _ratio(
                churned.groupby(["_period", "_dim"])["customer_id"].nunique(),
                f.groupby(["_period", "_dim"])["customer_id"].nunique(),
            )
        case "csat":
            return _ratio(
                count(sv, "responded_at", lambda f: f["csat"] >= 4),
                count(sv, "responded_at", lambda f: f["csat"].notna()),
            )
        case "nps_promoter_share" | "nps_detractor_share" | "nps":
            answered = count(sv, "responded_at", lambda f: f["nps"].notna())
            pro = _ratio(count(sv, "responded_at", lambda f: f["nps"] >= 9), answered)
            det = _ratio(count(sv, "responded_at", lambda f: f["nps"] <= 6), answered)
            if metric == "nps_promoter_share":
                return pro
            if metric == "nps_detractor_share":
                return det
            return pro - det
        case "ces":
            return by(sv, "responded_at")["ces"].mean().dropna()
        case "survey_response_rate":
            return _ratio(
                count(sv, "sent_at", lambda f: f["responded_at"].notna()), count(sv, "sent_at")
            )
        case "survey_responses":
            return count(sv, "responded_at")
        case "order_count":
            return count(od, "ordered_at")
        case "complaint_rate_per_1000_orders":
            return _ratio(
                count(tk, "created_at", lambda f: f["ticket_type"] == "complaint"),
                count(od, "ordered_at"),
                1000.0,
            )
        case "backlog":
            return backlog(tk, start, end, grain, dim, filters)
    raise KeyError(metric)


def backlog(
    tk: pd.DataFrame,
    start: date,
    end: date,
    grain: str | None,
    dim: str | None,
    filters: dict[str, str],
) -> pd.Series:
    for field, value in filters.items():
        tk = tk[tk[field] == value]
    if grain is None:
        ends = [("all", end)]
    else:
        periods = pd.period_range(
            start,
            pd.Timestamp(end) - pd.Timedelta(days=1),
            freq={"month": "M", "quarter": "Q", "year": "Y"}[grain],
        )
        ends = [
            (p.start_time.date(), min(p.end_time.normalize().date() + pd.Timedelta(days=1), end))
            for p in periods
        ]
    out = {}
    for key, as_of in ends:
        as_of = pd.Timestamp(as_of)
        open_ = tk[
            (tk["created_at"] < as_of) & (tk["resolved_at"].isna() | (tk["resolved_at"] >= as_of))
        ]
        groups = open_.groupby(
            open_[dim].astype(object).fillna("<null>")
            if dim
            else pd.Series("all", index=open_.index)
        ).size()
        for d, n in groups.items():
            out[(key, d)] = n
    return pd.Series(out, dtype=float)
