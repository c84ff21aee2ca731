"""ENRICH stage, pure logic: named entities, cited sources and publisher records.

No database or network: `enrich()` takes an article's text and returns an `Enrichment`.
The models (LAC, the CRF taggers) and the gazetteer are loaded once per process, on first use
or by `load_models()`.
"""

from __future__ import annotations

from services.enricher.core import (
    ENRICHER_VERSION,
    enrich,
    enrich_many,
    load_models,
    publisher_for,
)

__all__ = ["ENRICHER_VERSION", "enrich", "enrich_many", "load_models", "publisher_for"]
