"""Proactive monitoring: KPI anomaly alerts and volume forecasts over certified metrics.

Every number comes from the semantic layer (MetricQuery -> execute); this package only adds
baselines, scores and episodes on top. Entry points: :func:`current_alerts` (cockpit),
:func:`detect_alerts` (CLI/benchmarks), :func:`forecast_volume` (chat hook and CLI).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from semantic_layer.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from tools.monitoring.alerts import Alert, current_alerts, detect_alerts
    from tools.monitoring.forecast import ForecastResult, forecast_volume
    from tools.monitoring.rules import MonitoringConfig, RulesError, load_rules

# Names resolve on first use (PEP 562), so a light module of the package (the targets a
# metric answer notes) does not load the detectors, baselines and forecaster: CLI start-up.
_HOME = {  # public name -> the module defining it
    "Alert": "tools.monitoring.alerts",
    "current_alerts": "tools.monitoring.alerts",
    "detect_alerts": "tools.monitoring.alerts",
    "ForecastResult": "tools.monitoring.forecast",
    "forecast_volume": "tools.monitoring.forecast",
    "MonitoringConfig": "tools.monitoring.rules",
    "RulesError": "tools.monitoring.rules",
    "load_rules": "tools.monitoring.rules",
}


__getattr__ = lazy_getattr(__name__, _HOME, globals())


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
