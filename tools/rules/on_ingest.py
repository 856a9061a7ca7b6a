"""Customer rules on each live-ingest batch: after a batch commits, the rules run over the
tickets and survey answers it touched (docs/ingest.md, docs/proactive.md).

The ingest writer calls a ``RulesOnIngest`` with its warehouse engine and the ids a committed
group of batches touched. A task's id is a hash of rule and event, so a redelivered batch, a
ticket updated twice or a later ``tasks run`` over the same days opens nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from tools.audit import OpsStore
from tools.rules.config import RulesConfig
from tools.rules.engine import RunResult, load_events, run_rules

log = logging.getLogger(__name__)


class RulesOnIngest:
    """``(warehouse, touched) -> RunResult``; ``touched`` maps ``tickets`` / ``surveys`` to ids.

    ``days``: how far back an event may lie and still fire (as ``tasks run --days``), so a
    late-arriving record from last month opens no call-back today."""

    def __init__(
        self,
        config: RulesConfig,
        store: OpsStore,
        *,
        days: int = 7,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.config = config
        self.store = store
        self.days = days
        self.clock = clock
        self.windows = [r.when.contacts.days for r in config.rules if r.when.contacts]
        self.opened = 0  # tasks opened since the writer started

    def __call__(self, warehouse: Engine, touched: dict[str, set[str]]) -> RunResult | None:
        tickets, surveys = touched.get("tickets", set()), touched.get("surveys", set())
        if not tickets and not surveys:
            return None
        now = self.clock().replace(microsecond=0)
        events = load_events(
            warehouse,
            now - timedelta(days=self.days),
            now,
            self.windows,
            ticket_ids=tickets,
            survey_ids=surveys,
        )
        result = run_rules(self.config, events, self.store, now)
        opened = sum(result.fired.values())
        self.opened += opened
        if opened:
            log.info("rules on ingest: %d event(s), %d new task(s)", result.events, opened)
        return result
