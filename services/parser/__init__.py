"""Parse stage: raw page bytes, saved snapshots or full-content feed items -> ParsedArticle.

Pure functions: no network, no database, no file I/O. See docs/parser.md.
"""

from services.parser.core import EXTRACTOR_VERSION, parse_feed_item, parse_page, parse_snapshot
from services.parser.decode import UndecodableContent, decode_html
from services.parser.hints import apply_hints
from shared.snapshot import is_snapshot, snapshot_header

__all__ = [
    "apply_hints",
    "EXTRACTOR_VERSION",
    "UndecodableContent",
    "decode_html",
    "is_snapshot",
    "parse_feed_item",
    "parse_page",
    "parse_snapshot",
    "snapshot_header",
]
