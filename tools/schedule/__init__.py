"""Schedules: cron expressions (``cron``), the schedules file (``config``) and the claim
table that makes each due run happen once across server workers (``claims``)."""
