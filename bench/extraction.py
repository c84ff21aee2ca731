"""Extraction benchmark: newsflow's parser against other extractors on every development set.

Sets (under the shared data folder: `--data`, else $NEWSFLOW_SHARED, else ../shared next to the
repository; a missing set is named with where it comes from):

- aeb: bench-data/article-extraction-benchmark (scrapinghub, 181 English articles). Body scored
  as that benchmark does: `\\w+` tokens, 4-token shingles as a multiset, per-page TP/FP/FN
  normalized, precision and recall means over pages, F1 = 2PR/(P+R).
- wcxb: dev-data/wcxb-dev (7 page types). Body scored with the set's own evaluate.py (word F1,
  mean over pages); articles and non-articles apart.
- fundus: dev-data/fundus/<country>/ (181 publishers, many languages). Body: word F1 (character
  F1 for Chinese and Japanese, which have no spaces) against summary + section paragraphs.
- zh: dev-data/zh-pages, labelled in tests/data/zh_pages.jsonl. Body: character F1 against the
  page text from the labelled first sentence to the labelled last one. Pages are fed as raw
  bytes with no charset header.

Every table has the tune and check halves (bench/splits.py, by domain) side by side, and every
extractor runs in the same invocation. Date: "day" is the same calendar day in the publisher's
zone (the gold's offset when it has one); "utc" is the exact minute in UTC, only on gold with a
time. Author: the set of names equals the gold's (case, spacing and punctuation aside).

Each extractor runs in its own subprocess over pre-loaded pages, so peak RSS is its own and the
timing excludes gunzip and file reads.

    python bench/extraction.py [--data DIR] [--sets aeb,wcxb,fundus,zh]
        [--extractors ours,trafilatura,trafilatura-fast,readability-lxml,news-please]
        [--half check] [--limit N] [--repeat N] [--dump FILE]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench import datasets  # noqa: E402
from bench.splits import half_of, half_of_url  # noqa: E402

DEFAULT_SHARED = REPO.parent / "shared"
DEFAULT_DATA = DEFAULT_SHARED / "bench-data" / "article-extraction-benchmark"
ZH_LABELS = REPO / "tests" / "data" / "zh_pages.jsonl"
TOKEN = re.compile(r"\w+")
SETS = ("aeb", "wcxb", "fundus", "zh")
SET_DIRS = {
    "aeb": "bench-data/article-extraction-benchmark",
    "wcxb": "dev-data/wcxb-dev",
    "fundus": "dev-data/fundus",
    "zh": "dev-data/zh-pages",
}
PEERS = ("trafilatura", "trafilatura-fast", "readability-lxml", "news-please")


def shared_dir(option: str | Path | None = None) -> Path:
    """The shared data folder: --data, else $NEWSFLOW_SHARED, else ../shared by the repo."""
    return Path(option) if option else datasets.shared_root()


# --------------------------------------------------------------------------- scoring
def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    toks = TOKEN.findall(text or "")
    return Counter(tuple(toks[i : i + n]) for i in range(len(toks) - n + 1))


def page_counts(pred: str, truth: str) -> tuple[float, float, float]:
    """Normalized (tp, fp, fn) for one page; all zero when both sides are empty."""
    p, t = shingles(pred), shingles(truth)
    tp = sum((p & t).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def score(predictions: dict[str, str], truth: dict[str, str]) -> dict[str, float]:
    """The article-extraction-benchmark's own scoring (macro P and R, then F1)."""
    precisions: list[float] = []
    recalls: list[float] = []
    for key, gold in truth.items():
        tp, fp, fn = page_counts(predictions.get(key, ""), gold)
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    p = sum(precisions) / len(precisions) if precisions else 0.0
    r = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1}


def _bag_f1(pred: Counter, ref: Counter) -> float:
    if not ref:
        return 1.0 if not pred else 0.0
    overlap = sum((pred & ref).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(pred.values()), overlap / sum(ref.values())
    return 2 * p * r / (p + r)


def char_f1(pred: str, ref: str) -> float:
    """F1 over the multiset of word characters (punctuation and spacing ignored)."""
    return _bag_f1(Counter(re.findall(r"[^\W_]", pred or "")), Counter(re.findall(r"[^\W_]", ref)))


def word_f1(pred: str, ref: str) -> float:
    """WCXB's word F1 (lower-cased `\\w+` tokens); evaluate.py's own function when loaded."""
    if _WCXB_EVAL is not None:
        return _WCXB_EVAL.word_f1(pred or "", ref)[2]
    tok = lambda s: Counter(TOKEN.findall((s or "").lower()))  # noqa: E731
    return _bag_f1(tok(pred), tok(ref))


_WCXB_EVAL = None


def _load_wcxb_eval(root: Path) -> None:
    global _WCXB_EVAL
    path = root / "dev-data" / "wcxb-dev" / "evaluate.py"
    if _WCXB_EVAL is None and path.exists():
        spec = importlib.util.spec_from_file_location("wcxb_evaluate", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _WCXB_EVAL = module


def text_key(text: str | None) -> str:
    """Comparison key of a title or name: NFKC, case-folded, word characters only."""
    return "".join(re.findall(r"[^\W_]", unicodedata.normalize("NFKC", text or "").casefold()))


_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|/|\band\b|\bund\b|\bet\b|\by\b|、|，)\s*", re.I)


def author_keys(names: Iterable[str] | str | None) -> frozenset[str]:
    if not names:
        return frozenset()
    if isinstance(names, str):
        names = [names]
    out = set()
    for name in names:
        for part in _NAME_SPLIT.split(name or ""):
            key = text_key(re.sub(r"^(?:by|von|par|por)\s+", "", part.strip(), flags=re.I))
            if key:
                out.add(key)
    return frozenset(out)


def _gold_time(value: str | None) -> tuple[datetime | None, bool]:
    """(datetime, has_time): aware when the gold gives an offset, a bare date otherwise."""
    if not value:
        return None, False
    value = value.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        try:
            dt = datetime.fromisoformat(value[:10])
        except ValueError:
            return None, False
        return dt, False
    return dt, len(value) > 10


def date_scores(pred: dict, gold: str | None) -> tuple[bool, bool | None]:
    """(same day in the publisher's zone, exact UTC minute or None when the gold has no time)."""
    g, has_time = _gold_time(gold)
    if g is None:
        return False, None
    utc = pred.get("date_utc")
    utc_dt = datetime.fromisoformat(utc) if utc else None
    if g.tzinfo is not None and utc_dt is not None:
        day = utc_dt.astimezone(g.tzinfo).date() == g.date()
    else:
        day = (pred.get("date_local") or "")[:10] == g.date().isoformat()
    exact = None
    if has_time and g.tzinfo is not None:
        exact = utc_dt is not None and abs(utc_dt - g) < timedelta(seconds=60)
    return day, exact


# --------------------------------------------------------------------------- data
def load_truth(data: Path = DEFAULT_DATA) -> dict[str, dict[str, str]]:
    return json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))


def load_pages(data: Path, keys: Iterable[str]) -> dict[str, bytes]:
    return {k: gzip.decompress((data / "html" / f"{k}.html.gz").read_bytes()) for k in keys}


def _page(set_name, key, url, path, gold, half=None, fetched_at=None, **extra) -> dict:
    return {
        "set": set_name,
        "key": f"{set_name}:{key}",
        "url": url,
        "path": str(path),
        "half": half or half_of_url(url),
        "fetched_at": fetched_at,
        "gold": gold,
        **extra,
    }


def aeb_pages(root: Path) -> list[dict]:
    data = root / "bench-data" / "article-extraction-benchmark"
    truth = load_truth(data)
    return [
        _page("aeb", k, t["url"], data / "html" / f"{k}.html.gz", {"body": t["articleBody"]})
        for k, t in sorted(truth.items())
    ]


def wcxb_pages(root: Path) -> list[dict]:
    data = root / "dev-data" / "wcxb-dev"
    files = json.loads((data / "metadata.json").read_text(encoding="utf-8")).get("files", {})
    out = []
    for f in sorted((data / "ground-truth").glob("*.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        domain = (files.get(f.stem) or {}).get("domain") or "unknown.invalid"
        url = d.get("url") or f"https://{domain}/"
        gt = d.get("ground_truth") or {}
        ptype = ((d.get("_internal") or {}).get("page_type") or {}).get("primary", "article")
        gold = {
            "body": gt.get("main_content") or "",
            "with": gt.get("with") or [],
            "without": gt.get("without") or [],
            "title": gt.get("title"),
            "authors": gt.get("author"),
            "published": gt.get("publish_date"),
            "page_type": "collection" if ptype == "category" else ptype,
        }
        out.append(_page("wcxb", f.stem, url, data / "html" / f"{f.stem}.html.gz", gold))
    return out


def _fundus_body(body: dict) -> str:
    parts = list(body.get("summary") or [])
    for sec in body.get("sections") or []:
        parts += list(sec.get("headline") or []) + list(sec.get("paragraphs") or [])
    return "\n\n".join(parts)


def _utc_iso(value: str) -> str:
    dt = datetime.fromisoformat(value)
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).isoformat()


def fundus_pages(root: Path) -> list[dict]:
    """One page per layout version: versions V1, V2... map to the HTML files in date order."""
    data = root / "dev-data" / "fundus"
    out = []
    for country in sorted(p for p in data.iterdir() if p.is_dir()):
        info = json.loads((country / "meta.info").read_text(encoding="utf-8"))
        for gold_file in sorted(country.glob("*.json")):
            versions = json.loads(gold_file.read_text(encoding="utf-8"))
            htmls = sorted(country.glob(f"{gold_file.stem}_*.html.gz"))
            names = sorted(versions, key=lambda v: [int(x) for x in re.findall(r"\d+", v)])
            for version, html_file in zip(names, htmls, strict=False):
                v, meta = versions[version], info.get(html_file.name, {})
                gold = {
                    "body": _fundus_body(v.get("body") or {}),
                    "title": v.get("title"),
                    "authors": v.get("authors") or None,
                    "published": v.get("publishing_date"),
                    "country": country.name,
                }
                crawl = meta.get("crawl_date")
                fetched = _utc_iso(crawl) if crawl else None
                key = f"{country.name}/{html_file.name}"
                out.append(
                    _page("fundus", key, meta.get("url", ""), html_file, gold, None, fetched)
                )
    return out


def _page_text(raw: bytes) -> str:
    """The page's visible text, decoded independently of the parser (for the zh reference)."""
    import lxml.html

    for enc in ("utf-8", "gb18030", "big5hkscs"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("gb18030", "replace")
    tree = lxml.html.document_fromstring(
        text.encode("utf-8"), lxml.html.HTMLParser(encoding="utf-8")
    )
    for bad in tree.xpath("//script | //style | //noscript"):
        bad.drop_tree()
    return " ".join(tree.text_content().split())


def _between(text: str, first: str, last: str) -> str | None:
    squash = lambda s: re.sub(r"\s+", "", s)  # noqa: E731
    flat = squash(text)
    a, b = squash(first or ""), squash(last or "")
    if not a or not b:
        return None
    i = flat.find(a[:30])
    j = flat.rfind(b[-30:])
    if i < 0 or j < i:
        return None
    return flat[i : j + len(b[-30:])]


def zh_pages(root: Path, labels: Path = ZH_LABELS) -> list[dict]:
    data = root / "dev-data" / "zh-pages"
    if not labels.exists():
        return []
    out = []
    for line in labels.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        lab = json.loads(line)
        path = data / lab["path"]
        if not path.exists():
            continue
        site = lab["path"].split("/", 1)[0]
        raw = path.read_bytes()
        ref = _between(_page_text(raw), lab.get("first_sentence"), lab.get("last_sentence"))
        gold = {
            "body": ref or None,
            "title": lab.get("title"),
            "authors": [lab["author"]] if lab.get("author") else None,
            "published": lab.get("published"),
            "char": True,
            "page_type": lab.get("page_type") or "article",
        }
        # no URL in the page: a neutral .com host, so no country zone comes from the URL
        url = lab.get("url") or _url_in_page(raw) or f"https://{site}.example.com/{lab['path']}"
        out.append(_page("zh", lab["path"], url, path, gold, half_of(site)))
    return out


def _url_in_page(raw: bytes) -> str | None:
    m = re.search(
        rb"""<(?:link[^>]+rel=["']canonical["'][^>]+href|meta[^>]+property=["']og:url["']"""
        rb"""[^>]+content)=["'](https?://[^"'\s]+)""",
        raw[:200000],
        re.I,
    )
    return m.group(1).decode("ascii", "replace") if m else None


LOADERS: dict[str, Callable[[Path], list[dict]]] = {
    "aeb": aeb_pages,
    "wcxb": wcxb_pages,
    "fundus": fundus_pages,
    "zh": zh_pages,
}


def available_sets(root: Path, wanted: Iterable[str] = SETS) -> tuple[list[dict], list[str]]:
    """(pages of every present set, names of the missing ones)."""
    pages, missing = [], []
    probes = {
        "aeb": root / "bench-data" / "article-extraction-benchmark" / "ground-truth.json",
        "wcxb": root / "dev-data" / "wcxb-dev" / "ground-truth",
        "fundus": root / "dev-data" / "fundus",
        "zh": root / "dev-data" / "zh-pages",
    }
    for name in wanted:
        if not probes[name].exists():
            missing.append(name)
            continue
        pages += LOADERS[name](root)
    return pages, missing


def read_raw(page: dict) -> bytes:
    raw = Path(page["path"]).read_bytes()
    return gzip.decompress(raw) if page["path"].endswith(".gz") else raw


# --------------------------------------------------------------------------- extractors
def _ours() -> Callable[[bytes, str, datetime | None], dict]:
    from services.parser import parse_page
    from shared.contracts import NotAnArticle, ParseFailure

    def run(raw: bytes, url: str, fetched_at: datetime | None) -> dict:
        try:
            art = parse_page(raw, url, fetched_at=fetched_at)
        except NotAnArticle as exc:
            return {"body": "", "rejected": exc.kind}
        except ParseFailure as exc:
            return {"body": "", "rejected": f"failure:{type(exc).__name__}"}
        local = art.published_local or art.published_at
        return {
            "body": art.body,
            "title": art.title,
            "authors": art.authors,
            "date_utc": art.published_at.isoformat() if art.published_at else None,
            "date_local": local.date().isoformat() if local else None,
            "page_type": getattr(art, "page_type", "article"),
        }

    return run


def _trafilatura(fast: bool) -> Callable[[bytes, str, datetime | None], dict]:
    import trafilatura

    def run(raw: bytes, url: str, fetched_at: datetime | None) -> dict:
        doc = trafilatura.bare_extraction(raw, url=url, fast=fast, with_metadata=True)
        if doc is None:
            return {"body": ""}
        return {
            "body": doc.text or "",
            "title": doc.title,
            "authors": [a for a in (doc.author or "").split("; ") if a],
            "date_local": doc.date,
        }

    return run


def _readability() -> Callable[[bytes, str, datetime | None], dict]:
    import lxml.html
    from readability import Document

    def run(raw: bytes, url: str, fetched_at: datetime | None) -> dict:
        doc = Document(raw, url=url)
        summary = doc.summary(html_partial=True)
        body = lxml.html.fromstring(summary).text_content() if summary.strip() else ""
        return {"body": body, "title": doc.short_title()}

    return run


def _news_please() -> Callable[[bytes, str, datetime | None], dict]:
    from newsplease import NewsPlease

    def run(raw: bytes, url: str, fetched_at: datetime | None) -> dict:
        html = raw.decode("utf-8", "replace")
        art = NewsPlease.from_html(html, url=url, fetch_images=False)
        pub = art.date_publish
        return {
            "body": art.maintext or "",
            "title": art.title,
            "authors": list(art.authors or []),
            "date_local": pub.date().isoformat() if pub else None,
        }

    return run


EXTRACTORS: dict[str, Callable[[], Callable[[bytes, str, datetime | None], dict]]] = {
    "ours": _ours,
    "trafilatura": lambda: _trafilatura(False),
    "trafilatura-fast": lambda: _trafilatura(True),
    "readability-lxml": _readability,
    "news-please": _news_please,
}


def run_pages(name: str, pages: list[dict]) -> tuple[list[dict], float, float]:
    """(predictions, wall seconds, CPU seconds) of the extractor calls alone: each page is read
    and gunzipped outside the timed span, so peak RSS holds one page, not the whole set."""
    run = EXTRACTORS[name]()
    preds, wall, cpu = [], 0.0, 0.0
    for page in pages:
        raw = read_raw(page)
        fetched = datetime.fromisoformat(page["fetched_at"]) if page["fetched_at"] else None
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            preds.append(run(raw, page["url"], fetched))
        except Exception as exc:  # a peer crashing on one page scores that page as empty
            preds.append({"body": "", "error": f"{type(exc).__name__}: {exc}"[:200]})
        wall += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    return preds, wall, cpu


def worker(name: str, pages_file: Path, out: Path, repeat: int, disable: str) -> None:
    """Runs in a subprocess: extract every page; best-of-`repeat` time, CPU time, peak RSS."""
    _switch_off(disable)
    pages = json.loads(pages_file.read_text())
    elapsed = cpu = float("inf")
    for _ in range(repeat):
        preds, wall, used = run_pages(name, pages)
        elapsed, cpu = min(elapsed, wall), min(cpu, used)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    out.write_text(json.dumps({"preds": preds, "elapsed": elapsed, "cpu": cpu, "peak_kb": peak_kb}))


def _switch_off(disable: str) -> None:
    """Turn rules of the parser off by name ("fast" turns trafilatura's fast mode on)."""
    if not disable:
        return
    from services.parser import authors, core, extract, metadata, published, titles

    for rule in disable.split(","):
        if rule in extract.OPTIONS:
            extract.OPTIONS[rule] = not extract.OPTIONS[rule]
        for module in (authors, core, extract, metadata, published, titles):
            module.DISABLED.add(rule)


def run_extractor(name: str, pages: list[dict], repeat: int = 1, disable: str = "") -> dict | None:
    with tempfile.TemporaryDirectory() as tmp:
        out, pfile = Path(tmp) / "out.json", Path(tmp) / "pages.json"
        pfile.write_text(json.dumps(pages))
        cmd = [sys.executable, __file__, "--worker", name, "--pages", str(pfile)]
        cmd += ["--out", str(out), "--repeat", str(repeat), "--disable", disable]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"[{name} unavailable: {proc.stderr.strip().splitlines()[-1:]}]", file=sys.stderr)
            return None
        return json.loads(out.read_text())


# --------------------------------------------------------------------------- tables
def page_scores(page: dict, pred: dict) -> dict:
    """Per-page figures; None where the gold has nothing to compare with."""
    gold = page["gold"]
    ref = gold.get("body")
    lang = page.get("lang")
    body = None
    if ref is not None and page["set"] != "aeb":
        cjk = gold.get("char") or lang in ("zh", "ja")
        body = (char_f1 if cjk else word_f1)(pred.get("body", ""), ref)
    out = {"body": body}
    if gold.get("title"):
        out["title"] = float(text_key(pred.get("title")) == text_key(gold["title"]))
    if gold.get("authors"):
        out["author"] = float(author_keys(pred.get("authors")) == author_keys(gold["authors"]))
    if gold.get("published"):
        day, exact = date_scores(pred, gold["published"])
        out["date_day"] = float(day)
        if exact is not None:
            out["date_utc"] = float(exact)
    out["rejected"] = float(bool(pred.get("rejected")))
    return out


def aggregate(pages: list[dict], preds: list[dict]) -> dict:
    """Means of each figure over the pages that have it; aeb body with its own scoring."""
    sums: dict[str, list[float]] = defaultdict(list)
    aeb_pred, aeb_truth = {}, {}
    for page, pred in zip(pages, preds, strict=True):
        if page["set"] == "aeb":
            aeb_pred[page["key"]] = pred.get("body", "")
            aeb_truth[page["key"]] = page["gold"]["body"]
        for k, v in page_scores(page, pred).items():
            if v is not None:
                sums[k].append(v)
    out = {k: sum(v) / len(v) for k, v in sums.items()}
    if aeb_truth:
        out["body"] = score(aeb_pred, aeb_truth)["f1"]
    out["n"] = len(pages)
    return out


def _fmt(x: float | None) -> str:
    return f"{x:.3f}" if isinstance(x, float) else "  -  "


def group_of(page: dict) -> str:
    ptype = page["gold"].get("page_type", "article")
    return "articles" if ptype == "article" else "non-articles"


def main_table(pages: list[dict], results: dict[str, dict]) -> list[str]:
    lines = [
        "| set | pages | half | extractor | n | body F1 | title | date day | date UTC | author "
        "| rejected |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for set_name in SETS:
        for grp in ("articles", "non-articles"):
            for half in ("tune", "check"):
                idx = [
                    i
                    for i, p in enumerate(pages)
                    if p["set"] == set_name and p["half"] == half and group_of(p) == grp
                ]
                if not idx:
                    continue
                for name, res in results.items():
                    a = aggregate([pages[i] for i in idx], [res["preds"][i] for i in idx])
                    lines.append(
                        f"| {set_name} | {grp} | {half} | {name} | {a['n']} | {_fmt(a.get('body'))} "
                        f"| {_fmt(a.get('title'))} | {_fmt(a.get('date_day'))} "
                        f"| {_fmt(a.get('date_utc'))} | {_fmt(a.get('author'))} "
                        f"| {_fmt(a.get('rejected'))} |"
                    )
    return lines


def breakdown_table(pages: list[dict], results: dict[str, dict]) -> list[str]:
    """Body F1 per language (fundus, wcxb) and page type (wcxb), every extractor as a column."""
    names = list(results)
    lines = [
        f"| set | group | half | n | {' | '.join(names)} |",
        "|---|---|---|---|" + "---|" * len(names),
    ]
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, p in enumerate(pages):
        if p["set"] == "aeb":
            continue
        groups[(p["set"], f"lang:{p.get('lang') or '?'}", p["half"])].append(i)
        if p["set"] == "wcxb":
            groups[(p["set"], f"type:{p['gold'].get('page_type')}", p["half"])].append(i)
    for (set_name, grp, half), idx in sorted(groups.items()):
        if len(idx) < 3:
            continue
        cells = []
        for name in names:
            a = aggregate([pages[i] for i in idx], [results[name]["preds"][i] for i in idx])
            cells.append(_fmt(a.get("body")))
        lines.append(f"| {set_name} | {grp} | {half} | {len(idx)} | {' | '.join(cells)} |")
    return lines


def speed_table(n: int, results: dict[str, dict]) -> list[str]:
    lines = [
        "| extractor | pages | pages/s | CPU pages/s | peak RSS MiB |",
        "|---|---|---|---|---|",
    ]
    for name, res in results.items():
        lines.append(
            f"| {name} | {n} | {n / res['elapsed']:.1f} | {n / res['cpu']:.1f} "
            f"| {res['peak_kb'] / 1024:.0f} |"
        )
    return lines


def _group_index(pages: list[dict], cols: list[tuple[str, str]], group: str) -> dict:
    return {
        c: [i for i, p in enumerate(pages) if (p["set"], p["half"]) == c and group_of(p) == group]
        for c in cols
    }


def _aggregates(pages: list[dict], preds: list[dict], idx: dict) -> dict:
    return {c: aggregate([pages[i] for i in ix], [preds[i] for i in ix]) for c, ix in idx.items()}


def ablation_table(pages: list[dict], full: dict, variants: dict[str, dict]) -> list[str]:
    """Per rule and figure: (rule off) - (all rules on), per set and half: every figure on
    articles, and the body of non-articles (WCXB's forums, listings...: a user who enqueues one
    still gets its main text). Negative means the rule helps; a rule that helps tune but not
    check comes out."""
    cols = [(s, h) for s in SETS for h in ("tune", "check")]
    cols = [c for c in cols if any(p["set"] == c[0] and p["half"] == c[1] for p in pages)]
    idx = _group_index(pages, cols, "articles")
    others = _group_index(pages, cols, "non-articles")
    base = _aggregates(pages, full["preds"], idx)
    base_others = _aggregates(pages, full["preds"], others)
    head = " | ".join(f"{s} {h}" for s, h in cols)
    lines = [f"| rule off | figure | {head} |", "|---|---|" + "---|" * len(cols)]
    lines.append(
        "| (none: all on) | body | " + " | ".join(_fmt(base[c].get("body")) for c in cols) + " |"
    )
    for rule, res in variants.items():
        if res is None:
            continue
        agg = _aggregates(pages, res["preds"], idx)
        agg_others = _aggregates(pages, res["preds"], others)
        figures = [(f, f, agg, base) for f in ("body", "title", "date_day", "author")]
        figures.append(("body, non-articles", "body", agg_others, base_others))
        for label, fig, new_agg, old_agg in figures:
            deltas = [
                (new_agg[c].get(fig) or 0.0) - (old_agg[c].get(fig) or 0.0)
                if old_agg[c].get(fig) is not None
                else None
                for c in cols
            ]
            if all(d is None or abs(d) < 0.0005 for d in deltas):
                continue
            cells = " | ".join("  -  " if d is None else f"{d:+.4f}" for d in deltas)
            lines.append(f"| {rule} | {label} | {cells} |")
    speed = {r: len(pages) / v["cpu"] for r, v in variants.items() if v}
    lines.append("")
    lines.append(
        f"CPU pages/s: all on {len(pages) / full['cpu']:.1f}; "
        + ", ".join(f"{r} off {v:.1f}" for r, v in speed.items())
    )
    return lines


def _languages(pages: list[dict]) -> None:
    """Gold language of each page (from the gold text, by the parser's own detector)."""
    from services.parser.language import detect_language

    for p in pages:
        if p["set"] == "aeb":
            p["lang"] = "en"
        elif p["set"] == "zh":
            p["lang"] = "zh"
        else:
            lang = detect_language(p["gold"].get("body") or "") or "?"
            p["lang"] = lang.split("-")[0]


def collect(root: Path, sets: Iterable[str], half: str | None, limit: int) -> list[dict]:
    pages, missing = available_sets(root, sets)
    for name in missing:
        where = datasets.SOURCES[SET_DIRS[name]]
        print(f"missing set {name!r}: {root / SET_DIRS[name]} ({where})", file=sys.stderr)
    if "zh" in sets and "zh" not in missing and not any(p["set"] == "zh" for p in pages):
        print(f"zh-pages present but no labels at {ZH_LABELS}", file=sys.stderr)
    if half:
        pages = [p for p in pages if p["half"] == half]
    if limit:
        pages = [p for s in SETS for p in [q for q in pages if q["set"] == s][:limit]]
    _languages(pages)
    return pages


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--data",
        type=Path,
        default=None,
        help="shared data folder (default $NEWSFLOW_SHARED or ../shared)",
    )
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--extractors", default="ours," + ",".join(PEERS))
    ap.add_argument("--half", choices=("tune", "check"), help="only this half")
    ap.add_argument("--limit", type=int, default=0, help="at most N pages per set")
    ap.add_argument("--articles-only", action="store_true", help="leave non-article pages out")
    ap.add_argument("--repeat", type=int, default=1, help="timed passes; the best one counts")
    ap.add_argument("--dump", type=Path, help="write per-page predictions and scores as JSON")
    ap.add_argument(
        "--disable", default="", help="parser rules to switch off (comma-separated), for ablation"
    )
    ap.add_argument(
        "--ablate", help="rules to switch off one at a time: prints the ablation table of ours"
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--pages", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        worker(args.worker, args.pages, args.out, args.repeat, args.disable)
        return 0

    root = shared_dir(args.data)
    _load_wcxb_eval(root)
    pages = collect(root, args.sets.split(","), args.half, args.limit)
    if args.articles_only:
        pages = [p for p in pages if group_of(p) == "articles"]
    if not pages:
        print("no data: nothing to measure", file=sys.stderr)
        return 1
    if args.ablate:
        full = run_extractor("ours", pages, args.repeat, args.disable)
        variants = {}
        for rule in args.ablate.split(","):
            off = ",".join(filter(None, (args.disable, rule)))
            variants[rule] = run_extractor("ours", pages, args.repeat, off)
        print(f"{len(pages)} pages from {root}; ours with each rule off, minus ours with all on\n")
        print("\n".join(ablation_table(pages, full, variants)))
        return 0
    results = {}
    for name in args.extractors.split(","):
        res = run_extractor(name, pages, args.repeat, args.disable if name == "ours" else "")
        if res is not None:
            results[name] = res
    print(f"{len(pages)} pages from {root}, same run for every extractor\n")
    print("\n".join(main_table(pages, results)), "\n")
    print("\n".join(breakdown_table(pages, results)), "\n")
    print("\n".join(speed_table(len(pages), results)))
    if args.dump:
        dump = [
            {
                **{k: p[k] for k in ("key", "url", "half", "lang")},
                **{
                    n: {**page_scores(p, r["preds"][i]), "pred": r["preds"][i]}
                    for n, r in results.items()
                },
            }
            for i, p in enumerate(pages)
        ]
        args.dump.write_text(json.dumps(dump, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
