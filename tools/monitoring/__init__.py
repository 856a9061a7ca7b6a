"""Proactive monitoring: KPI anomaly alerts and volume forecasts over certified metrics.

Every number comes from the semantic layer (MetricQuery -> execute); this package only adds
baselines, scores and episodes on top. Entry points: :func:`current_alerts` (cockpit),
:func:`detect_alerts` (CLI/benchmarks), :func:`forecast_volume` (chat hook and CLI).
"""

from tools.monitoring.alerts import Alert, current_alerts, detect_alerts
from tools.monitoring.forecast import ForecastResult, forecast_volume
from tools.monitoring.rules import MonitoringConfig, RulesError, load_rules

__all__ = [
    "Alert",
    "ForecastResult",
    "MonitoringConfig",
    "RulesError",
    "current_alerts",
    "detect_alerts",
    "forecast_volume",
    "load_rules",
]
