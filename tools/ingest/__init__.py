"""Getting data in and judging it: live ingest (events, the one writer and its snapshots, the
HTTP inbox, drop folder and database pull; docs/ingest.md), freshness per source, and the
data-quality report (``quality``)."""
