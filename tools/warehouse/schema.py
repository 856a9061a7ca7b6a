"""The warehouse schema: the public contract of shared/DESIGN.md, as SQLAlchemy Core tables.

Table and column names are a contract (analysts and eval ``check_sql`` use them): add columns
freely, never rename or drop one without a migration note in CHANGELOG.md. Internal bookkeeping
tables start with ``sp_``.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

Money = Numeric(14, 2)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("segment", String(16), nullable=False),
    Column("region", String(16), nullable=False),
    Column("city", String(64), nullable=False),
    Column("signup_date", Date, nullable=False),
    Column("churned_at", DateTime, nullable=True),
    Column("source", String(32), nullable=False, server_default="demo"),
)

products = Table(
    "products",
    metadata,
    Column("product_id", String(64), primary_key=True),
    Column("product_name", String(200), nullable=False),
    Column("product_line", String(64), nullable=False),
    Column("category", String(64), nullable=False),
    Column("source", String(32), nullable=False, server_default="demo"),
)

agents = Table(
    "agents",
    metadata,
    Column("agent_id", String(64), primary_key=True),
    Column("agent_name", String(100), nullable=False),
    Column("team", String(64), nullable=False),
    Column("region", String(16), nullable=False),
    Column("hired_at", Date, nullable=False),
    Column("source", String(32), nullable=False, server_default="demo"),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("product_id", String(64), nullable=False),
    Column("ordered_at", DateTime, nullable=False),
    Column("amount", Money, nullable=False),
    Column("region", String(16), nullable=False),
    Column("source", String(32), nullable=False, server_default="demo"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False),
    Column("product_id", String(64), nullable=True),
    Column("agent_id", String(64), nullable=True),
    Column("order_id", String(64), nullable=True),
    Column("channel", String(16), nullable=False),
    Column("ticket_type", String(16), nullable=False),
    Column("category", String(32), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("region", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("first_response_at", DateTime, nullable=True),
    Column("resolved_at", DateTime, nullable=True),
    Column("closed_at", DateTime, nullable=True),
    Column("sla_due_at", DateTime, nullable=False),
    Column("reopened_count", Integer, nullable=False),
    Column("agent_replies", Integer, nullable=True),  # NULL where the source does not record it
    Column("contacts", Integer, nullable=False),
    Column("escalated", Boolean, nullable=False),
    Column("handle_minutes", Float, nullable=True),
    Column("cost", Money, nullable=True),
    Column("service_revenue", Money, nullable=True),
    Column("subject", Text, nullable=True),
    Column("description", Text, nullable=True),
    Column("resolution", Text, nullable=True),
    Column("root_cause", String(64), nullable=True),
    Column("language", String(8), nullable=False),
    Column("source", String(32), nullable=False, server_default="demo"),
    # Beyond the minimum contract: the firm complained about (marketplaces, CFPB), and an SLA
    # verdict recorded by the source system itself (NULL = compute from sla_due_at).
    Column("company", String(200), nullable=True),
    Column("sla_met", Boolean, nullable=True),
)

surveys = Table(
    "surveys",
    metadata,
    Column("survey_id", String(64), primary_key=True),
    Column("ticket_id", String(64), nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("sent_at", DateTime, nullable=False),
    Column("responded_at", DateTime, nullable=True),
    Column("csat", SmallInteger, nullable=True),
    Column("nps", SmallInteger, nullable=True),
    Column("ces", SmallInteger, nullable=True),
    Column("comment", Text, nullable=True),
    Column("source", String(32), nullable=False, server_default="demo"),
)

# Customer segments computed from orders, tickets and surveys as of one date (``as_of``, the
# warehouse's data end when built): RFM scores, the value tier and complaint-history tags
# (tools/customers/rfm.py, the one definition). Rebuilt by `servicepilot customer segment`,
# `demo-data` and order ingest; the semantic layer states ``as_of`` with every answer using it.
customer_segments = Table(
    "customer_segments",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("as_of", DateTime, nullable=False),
    Column("value_tier", String(32), nullable=False),
    Column("repeat_complainer", Boolean, nullable=False),
    Column("recent_low_csat", Boolean, nullable=False),
    Column("r", SmallInteger, nullable=True),  # NULL: no orders before as_of
    Column("f", SmallInteger, nullable=True),
    Column("m", SmallInteger, nullable=True),
    Column("frequency", Integer, nullable=False),
    Column("monetary", Money, nullable=True),
    Column("last_order_at", DateTime, nullable=True),
)

# Bookkeeping: one row per key about how the warehouse was built (generator parameters,
# checksum, built_at) — the semantic layer reads data freshness from the data itself.
sp_meta = Table(
    "sp_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# One row per imported file content: makes re-importing the same file a no-op.
sp_imports = Table(
    "sp_imports",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("mapping_sha256", String(64), nullable=False),
    Column("rows_by_table", Text, nullable=False),
    Column("imported_at", DateTime, nullable=False),
)

# One row per bad cell of a file imported with `on_bad_rows: quarantine` (docs/importing.md);
# written in the same transaction as the file's good rows. `value` is clipped to 200 characters.
sp_quarantine = Table(
    "sp_quarantine",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("source", String(32), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_row", Integer, nullable=False),
    Column("field", String(500), nullable=False),
    Column("value", Text, nullable=True),
    Column("reason", Text, nullable=False),
    Column("imported_at", DateTime, nullable=False),
)

# Live ingest (docs/ingest.md). Every accepted event, once per (source, event_id): the journal
# the entity rows are folded from, so a redelivery is a no-op and an older update arriving after
# a newer one cannot overwrite it. ``received_at`` is the arrival time (late arrivals, freshness).
sp_events = Table(
    "sp_events",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("event_id", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("entity_id", String(64), nullable=False),
    Column("event_time", DateTime, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("batch_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),  # position in its batch: ties on event_time
    Column("data", Text, nullable=False),  # the event's fields, JSON
)

# One row per applied batch (HTTP post, drop-folder file, pull): applying it again is a no-op.
sp_ingest_batches = Table(
    "sp_ingest_batches",
    metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("source", String(32), nullable=False),
    Column("origin", String(500), nullable=False),  # http, a file name, a pulled table
    Column("events", Integer, nullable=False),
    Column("new_events", Integer, nullable=False),
    Column("quarantined", Integer, nullable=False),
    Column("received_at", DateTime, nullable=False),
    Column("applied_at", DateTime, nullable=False),
)

# Watermarks of pulls from source databases (name -> last updated_at seen), written in the
# same transaction as the pulled rows.
sp_watermarks = Table(
    "sp_watermarks",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("value", String(64), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

CONTRACT_TABLES = ("customers", "products", "agents", "orders", "tickets", "surveys")

# The minimum columns of the contract in shared/DESIGN.md; tests check the live schema has them.
CONTRACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "segment", "region", "city", "signup_date", "churned_at"),
    "products": ("product_id", "product_name", "product_line", "category"),
    "agents": ("agent_id", "agent_name", "team", "region", "hired_at"),
    "orders": ("order_id", "customer_id", "product_id", "ordered_at", "amount", "region"),
    "tickets": (
        "ticket_id",
        "customer_id",
        "product_id",
        "agent_id",
        "order_id",
        "channel",
        "ticket_type",
        "category",
        "priority",
        "status",
        "region",
        "created_at",
        "first_response_at",
        "resolved_at",
        "closed_at",
        "sla_due_at",
        "reopened_count",
        "agent_replies",
        "contacts",
        "escalated",
        "handle_minutes",
        "cost",
        "service_revenue",
        "subject",
        "description",
        "resolution",
        "root_cause",
        "language",
    ),
    "surveys": (
        "survey_id",
        "ticket_id",
        "customer_id",
        "sent_at",
        "responded_at",
        "csat",
        "nps",
        "ces",
        "comment",
    ),
}
