"""Stable ASCII codes used in the warehouse (see shared/DESIGN.md).

Labels and synonyms (zh/en) belong to the semantic layer; the data stores only these codes.
"""

from __future__ import annotations

REGIONS = ("east", "north", "south", "central", "southwest", "northwest", "northeast")
CHANNELS = ("phone", "email", "wechat", "app", "web_chat", "store", "marketplace")
TICKET_TYPES = ("complaint", "inquiry", "repair", "return", "suggestion")
CATEGORIES = (
    "quality",
    "logistics",
    "installation",
    "service_attitude",
    "billing",
    "usability",
    "warranty",
)
PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("open", "pending", "resolved", "closed")
SEGMENTS = ("vip", "business", "standard")
LANGUAGES = ("zh", "en")

# Which code list constrains which column; importers validate against this.
CODED_COLUMNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("customers", "segment"): SEGMENTS,
    ("customers", "region"): REGIONS,
    ("agents", "region"): REGIONS,
    ("orders", "region"): REGIONS,
    ("tickets", "channel"): CHANNELS,
    ("tickets", "category"): CATEGORIES,
    ("tickets", "ticket_type"): TICKET_TYPES,
    ("tickets", "priority"): PRIORITIES,
    ("tickets", "status"): STATUSES,
    ("tickets", "region"): REGIONS,
    ("tickets", "language"): LANGUAGES,
}
