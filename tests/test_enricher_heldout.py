"""Held-out check: news paragraphs written for this repo (not from the seed articles).

Each item lists the entities a careful annotator would mark (aliases per entity). The test
asserts a minimum F1 per language so a regression on unseen text fails; bench/entities.py
prints the full table for these too.
"""

from __future__ import annotations

HELDOUT: list[dict] = []
