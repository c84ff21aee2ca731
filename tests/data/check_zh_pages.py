"""Check the hand labels in zh_pages.jsonl against the pages they describe.

For every labelled page: the recorded charset decodes the bytes strictly; the title,
first_sentence and last_sentence occur verbatim in the decoded page text (whitespace ignored,
since a sentence may cross a line break or an inline tag in the source); the url, when given, is
written in the page. Also checks that every page of the set has exactly one record, in path
order, with well-formed fields.

Run: .venv/bin/python tests/data/check_zh_pages.py   (exit status 1 on any problem)
Pages: $NEWSFLOW_DEV_DATA/zh-pages, default <repo>/../shared/dev-data/zh-pages.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from pathlib import Path

from lxml import html as lxml_html

HERE = Path(__file__).resolve().parent
LABELS = HERE / "zh_pages.jsonl"
DEFAULT_DATA = HERE.parents[1] / ".." / "shared" / "dev-data"
FIELDS = [
    "path",
    "url",
    "charset",
    "page_type",
    "title",
    "published",
    "author",
    "editor",
    "source",
    "first_sentence",
    "last_sentence",
    "body_chars",
    "notes",
]
PAGE_TYPES = {"article", "listing", "other"}
# A date, or a date and clock time with the China offset.
PUBLISHED = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d\+08:00)?$")
TAG = re.compile(r"<[^>]*>", re.S)
SPACE = re.compile(r"\s+")
JS_ESCAPE = re.compile(r"\\+u([0-9a-fA-F]{4})")
STRAY_END = re.compile(r"</(html|body)\s*>", re.I)


def squeeze(text: str) -> str:
    """Drop all whitespace: a sentence may cross a line break or tag in the source."""
    return SPACE.sub("", text)


def rendered_text(decoded: str) -> str:
    """The text a reader sees: element text without scripts, styles and comments."""
    # Some pages close </html> early (an included header); browsers keep rendering, lxml stops.
    doc = lxml_html.document_fromstring(STRAY_END.sub("", decoded))
    for node in doc.xpath("//script|//style|//noscript|//comment()"):
        if node.getparent() is not None:
            node.drop_tree()
    return doc.text_content()


def markup_text(decoded: str) -> str:
    """Tag-stripped source with entities and JavaScript \\uXXXX escapes undone: for text that
    a page ships inside a script and renders with JavaScript (toutiao articles and galleries)."""
    text = JS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), decoded)
    for _ in range(2):
        text = html.unescape(TAG.sub(" ", text))
    return text


def page_views(raw: bytes, charset: str) -> list[str]:
    decoded = raw.decode(charset)
    return [squeeze(rendered_text(decoded)), squeeze(markup_text(decoded))]


def check_record(rec: dict, pages: Path) -> list[str]:
    where = rec.get("path", "?")
    problems = []
    if list(rec) != FIELDS:
        problems.append(f"{where}: fields {list(rec)} != {FIELDS}")
    if rec.get("page_type") not in PAGE_TYPES:
        problems.append(f"{where}: page_type {rec.get('page_type')!r}")
    if rec.get("published") is not None and not PUBLISHED.match(rec["published"]):
        problems.append(f"{where}: published {rec['published']!r} is not a date or +08:00 time")
    raw = (pages / where).read_bytes()
    try:
        views = page_views(raw, rec["charset"])
    except (LookupError, UnicodeDecodeError) as exc:
        return problems + [f"{where}: charset {rec['charset']!r} does not decode: {exc}"]
    for field in ("title", "first_sentence", "last_sentence"):
        value = rec.get(field)
        if value is None:
            if rec.get("page_type") == "article":
                problems.append(f"{where}: article without {field}")
            continue
        needle = squeeze(value)
        if not needle or not any(needle in view for view in views):
            problems.append(f"{where}: {field} not found in page text: {value[:40]!r}")
    source = raw.decode(rec["charset"])
    # Raw as well as unescaped: unescape would turn a bare "&timestamp" into "×tamp".
    if rec.get("url") and not any(rec["url"] in text for text in (source, html.unescape(source))):
        problems.append(f"{where}: url not found in the page: {rec['url'][:60]!r}")
    if rec.get("page_type") == "article" and not rec.get("body_chars"):
        problems.append(f"{where}: article without body_chars")
    return problems


def main() -> int:
    data = Path(os.environ.get("NEWSFLOW_DEV_DATA", DEFAULT_DATA))
    pages = data / "zh-pages"
    records = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    problems = []
    paths = [rec["path"] for rec in records]
    if paths != sorted(paths) or len(set(paths)) != len(paths):
        problems.append("records are not sorted by path, or a path repeats")
    on_disk = sorted(str(p.relative_to(pages)) for p in pages.glob("*/*") if p.is_file())
    missing = sorted(set(on_disk) - set(paths))
    if missing:
        problems.append(f"{len(missing)} pages without a label: {missing[:5]}...")
    for rec in records:
        if (pages / rec["path"]).is_file():
            problems.extend(check_record(rec, pages))
        else:
            problems.append(f"{rec['path']}: no such page under {pages}")
    for problem in problems:
        print(problem)
    print(f"{len(records)} records, {len(on_disk)} pages, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
