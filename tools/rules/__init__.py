"""Customer-level rules: ticket and survey events -> follow-up tasks (docs/proactive.md).

``config`` reads and validates the YAML rules (file:line errors), ``events`` builds events
from the warehouse, ``engine`` matches rules to events and writes tasks once per (rule,
event) into the operations store (``sp_task``).
"""

from tools.rules.config import RulesConfig, RulesConfigError, load_task_rules
from tools.rules.engine import Event, matches, run_rules

__all__ = ["Event", "RulesConfig", "RulesConfigError", "load_task_rules", "matches", "run_rules"]
