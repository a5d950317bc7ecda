"""The shipped criteria sets (五强五带头, 四强, 四好) in templates/, read once at start-up."""
from __future__ import annotations

from pathlib import Path

import yaml

TEMPLATE_DIR = Path(__file__).parent / "templates"


def load_templates() -> dict[str, dict]:
    out = {}
    for path in sorted(TEMPLATE_DIR.glob("*.yaml")):
        t = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[t["template_id"]] = t
    return out
