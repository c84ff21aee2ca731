"""Entity benchmark for the enricher: public NER dev sets, the seed gold, the held-out gold.

    .venv/bin/python bench/entities.py [--sets conll,msra,pd_dev,pd_test] [--errors]

NER sets (../shared/dev-data/ner, or NEWSFLOW_NER_DATA): CoNLL-2003 valid (English), MSRA dev,
People's Daily dev and test (Chinese). Each sentence goes to `enrich_many` as one article body;
the predicted mentions (offsets) are scored against the gold spans: exact span and exact type,
micro P/R/F1 over PER/LOC/ORG (MISC dropped), per half (bench.splits: `tune` / `check`; the
Chinese CRF is trained on the `tune` half only, so `check` is the honest figure). Systems:

- before: the old rule path (LAC's names + rules for Chinese, capitalisation rules for English);
- LAC alone (Chinese peer): the LAC model's PER/LOC/ORG words, nothing else;
- CRF alone: the trained model's spans, nothing else;
- CRF + rules / after: the product (enrich() defaults: model + gazetteer + rules + alias search).

Seed gold (../shared/ner-gold/seeds.json) and tests/data/entities/*.jsonl are scored per
article on (name, type) sets, as their README says. Speed is chars per CPU-second of this
process (one core); memory and model load are measured in a fresh process, like an enrich worker.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from lxml import html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.splits import CHECK, TUNE, half_of  # noqa: E402
from services.enricher import crf, enrich_many  # noqa: E402
from services.enricher.core import DEFAULT, RULES_ONLY, Options  # noqa: E402
from services.enricher.training.corpus import EN_VALID, Sentence, read, spans  # noqa: E402

SHARED = Path(os.environ.get("NEWSFLOW_SHARED") or ROOT / ".." / "shared")
SEEDS = SHARED / "seeds"
GOLD = SHARED / "ner-gold" / "seeds.json"
HELDOUT = ROOT / "tests" / "data" / "entities"
TYPES = ("PER", "LOC", "ORG")
NER_SETS = {
    "conll": ("CoNLL-2003 valid (en)", EN_VALID, "en"),
    "msra": ("MSRA dev (zh)", "msra_dev.txt", "zh"),
    "pd_dev": ("People's Daily dev (zh)", "peoples_daily_dev.txt", "zh"),
    "pd_test": ("People's Daily test (zh)", "peoples_daily_test.txt", "zh"),
}
Spans = set[tuple[int, int, str]]


# --------------------------------------------------------------------------- NER sets


def sentence_text(s: Sentence, lang: str) -> tuple[str, list[tuple[int, int]]]:
    """The sentence as text and the character range of each token."""
    sep = " " if lang == "en" else ""
    offs, pos = [], 0
    for t in s.tokens:
        offs.append((pos, pos + len(t)))
        pos += len(t) + len(sep)
    return sep.join(s.tokens), offs


def gold_spans(s: Sentence, offs: list[tuple[int, int]]) -> Spans:
    return {(offs[a][0], offs[b - 1][1], t) for a, b, t in spans(s.labels)}


def via_enrich(options: Options) -> Callable[[list[str], str], list[Spans]]:
    def run(texts: list[str], lang: str) -> list[Spans]:
        out = []
        for k in range(0, len(texts), 200):
            batch = [(None, t, lang) for t in texts[k : k + 200]]
            for r in enrich_many(batch, options=options):
                out.append({(s, e, m.type) for m in r.entities for s, e in m.offsets})
        return out

    return run


def _lac_words(texts: list[str]) -> tuple[list[list[tuple[int, int, str]]], list]:
    """LAC's words of each text, and its name-tag marginals (the CRF's soft features)."""
    from services.enricher.lac_batch import get_model

    model = get_model()
    tags, soft = model.tag_soft(texts)
    return [model.segments(t, i) if t else [] for t, i in zip(texts, tags, strict=True)], soft


def lac_alone(texts: list[str], lang: str) -> list[Spans]:
    """LAC's PER/LOC/ORG words, over the same sentence cuts as the product (an article is cut
    into sentences first: one long input is much slower for the model)."""
    from services.enricher.ner import split_sentences

    pieces, owner = [], []
    for n, t in enumerate(texts):
        for s, e in split_sentences(t):
            pieces.append(t[s:e])
            owner.append((n, s))
    out: list[Spans] = [set() for _ in texts]
    for sg, (n, off) in zip(_lac_words(pieces)[0], owner, strict=True):
        out[n] |= {(s + off, e + off, lab) for s, e, lab in sg if lab in TYPES}
    return out


def crf_alone(texts: list[str], lang: str) -> list[Spans]:
    if lang == "en":
        return [{x for x in crf.tag_en(t) if x[2] in TYPES} for t in texts]
    names = crf.tag_zh(texts, *_lac_words(texts))
    return [{x for x in nm if x[2] in TYPES} for nm in names]


def systems(lang: str) -> list[tuple[str, Callable]]:
    out = [("before (rules)", via_enrich(RULES_ONLY))]
    if lang == "zh":
        out.append(("LAC alone (peer)", lac_alone))
    out.append(("CRF alone", crf_alone))
    if lang == "zh":
        out.append(("CRF, no fill", via_enrich(Options(zh_fill="none"))))
        out.append(("CRF + gazetteer fill", via_enrich(Options(zh_fill="gaz"))))
        out.append(("CRF + rules fill", via_enrich(Options(zh_fill="rules"))))
        out.append(("rules over CRF (LAC priorities)", via_enrich(Options(zh_fill="rules-over"))))
        opts = Options(zh_abbrev_entities=False)
        out.append(("after, 韩 of 韩美日 only merged", via_enrich(opts)))
        out.append(("after, one-character names dropped", via_enrich(Options(zh_one_char=False))))
    else:
        out.append(("CRF, gazetteer types", via_enrich(Options(en_gaz_types=True))))
        out.append(("CRF, gazetteer fill", via_enrich(Options(en_gaz_fill=True))))
        out.append(("CRF + rules fill", via_enrich(Options(en_rules=True))))
        out.append(("CRF, no org-run fill", via_enrich(Options(en_org_fill=False))))
    out.append(("after (product)", via_enrich(DEFAULT)))
    return out


class Counts:
    def __init__(self) -> None:
        self.c: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, half: str, pred: Spans, gold: Spans, errors: list[str] | None, text: str):
        pred = {p for p in pred if p[2] in TYPES}
        for typ in (*TYPES, "ALL"):
            pt = pred if typ == "ALL" else {p for p in pred if p[2] == typ}
            gt = gold if typ == "ALL" else {g for g in gold if g[2] == typ}
            row = self.c[(half, typ)]
            row[0] += len(pt & gt)
            row[1] += len(pt - gt)
            row[2] += len(gt - pt)
        if errors is not None and half == TUNE:
            errors += [f"FP {t} {text[s:e]} | {text}" for s, e, t in pred - gold]
            errors += [f"FN {t} {text[s:e]} | {text}" for s, e, t in gold - pred]

    def prf(self, half: str, typ: str) -> tuple[float, float, float]:
        tp, fp, fn = self.c[(half, typ)]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def ner_table(key: str, want_errors: bool, only: list[str]) -> list[str]:
    title, fname, lang = NER_SETS[key]
    sents = read(fname)
    texts, golds, halves = [], [], []
    for s in sents:
        text, offs = sentence_text(s, lang)
        texts.append(text)
        golds.append(gold_spans(s, offs))
        halves.append(half_of(s.index))
    chars = sum(len(t) for t in texts)
    lines = [
        f"### {title}: {len(sents)} sentences, {chars:,} chars",
        "",
        "| system | half | PER F1 | LOC F1 | ORG F1 | P | R | **F1** | chars/CPU-s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    errors: list[str] = []
    for name, fn in systems(lang):
        if only and not any(o in name for o in only):
            continue
        c0 = time.process_time()
        preds = fn(texts, lang)
        cpu = time.process_time() - c0
        counts = Counts()
        for pred, gold, half, text in zip(preds, golds, halves, texts, strict=True):
            keep = errors if want_errors and name.startswith("after") else None
            counts.add(half, pred, gold, keep, text)
        for half in (TUNE, CHECK):
            p, r, f = counts.prf(half, "ALL")
            per_type = " | ".join(f"{counts.prf(half, t)[2]:.3f}" for t in TYPES)
            speed = f"{chars / cpu:,.0f}" if half == TUNE else ""
            lines.append(
                f"| {name} | {half} | {per_type} | {p:.3f} | {r:.3f} | **{f:.3f}** | {speed} |"
            )
    if want_errors:
        lines += ["", f"errors of `after` on the tune half ({len(errors)}), first 150:"]
        lines += errors[:150]
    return lines


def speed_table(repeat: int) -> list[str]:
    """Chars per CPU-second on article-sized texts (15 CoNLL / 20 MSRA sentences joined: the
    per-sentence figures above carry a per-document cost that real articles spread out)."""
    lines = [
        "### Speed on article-sized texts (one process, one core)",
        "",
        "| set | system | chars | chars per CPU-second |",
        "|---|---|---|---|",
    ]
    for key, group in (("conll", 15), ("msra", 20)):
        title, fname, lang = NER_SETS[key]
        texts = [sentence_text(s, lang)[0] for s in read(fname)]
        sep = " " if lang == "en" else ""
        arts = [sep.join(texts[k : k + group]) for k in range(0, len(texts), group)]
        chars = sum(map(len, arts))
        runs = [("before (rules)", RULES_ONLY), ("after (product)", DEFAULT)]
        if lang == "zh":
            lines.append(f"| {title} | LAC alone (peer) | {chars:,} | {_speed(lac_alone, arts, lang, repeat):,.0f} |")  # fmt: skip
        for name, options in runs:
            speed = _speed(lambda t, lg, o=options: enrich_many([(None, x, lg) for x in t], options=o), arts, lang, repeat)  # fmt: skip
            lines.append(f"| {title} | {name} | {chars:,} | {speed:,.0f} |")
    return lines


def _speed(fn: Callable, arts: list[str], lang: str, repeat: int) -> float:
    fn(arts[:3], lang)  # warm: models loaded
    c0 = time.process_time()
    for _ in range(repeat):
        fn(arts, lang)
    return sum(map(len, arts)) * repeat / (time.process_time() - c0)


# --------------------------------------------------------------------------- document gold


def norm(s: str) -> str:
    for c in "·-•‧・ ":
        s = s.replace(c, "")
    return s.strip()


def seed_text(path: Path) -> tuple[str, str]:
    """(title, body) from a seed file: markdown title line, HTML after the '------' line."""
    raw = path.read_text(encoding="utf-8")
    head, _, page = raw.partition("------")
    title = ""
    for line in head.splitlines():
        if line.startswith("["):
            title = line[1 : line.index("](")]
    doc = html.fromstring(page)
    paras = [p.text_content().strip() for p in doc.iter("p")]
    return title, "\n\n".join(p for p in paras if p)


class Score:
    """Per-article (name, type) sets against gold entities with aliases (seed gold format)."""

    def __init__(self) -> None:
        self.tp: dict[str, int] = defaultdict(int)
        self.fp: dict[str, int] = defaultdict(int)
        self.fn: dict[str, int] = defaultdict(int)
        self.errors: list[str] = []

    def _match(self, ents: list[dict], n: str, typ: str) -> int | None:
        for i, e in enumerate(ents):
            if n in {norm(a) for a in e["aliases"]} and typ in [e["type"], *e["alt_types"]]:
                return i
        return None

    def add_doc(self, doc_id: str, gold: dict, predicted: list[tuple[str, str]], cited: list[str]):
        ignore = {norm(x) for x in gold.get("ignore", [])}
        ents = gold["entities"]
        matched: set[int] = set()
        for name, typ in predicted:
            n = norm(name)
            if n in ignore:
                continue
            hit = self._match(ents, n, typ)
            if hit is None:
                # a right name with a wrong type is an error; an optional one is not scored
                if not any(e["optional"] and n in {norm(a) for a in e["aliases"]} for e in ents):
                    self.fp[typ] += 1
                    self.fp["ALL"] += 1
                    self.errors.append(f"{doc_id} FP {typ} {name}")
                continue
            if ents[hit]["optional"] or hit in matched:
                continue
            matched.add(hit)
            self.tp[ents[hit]["type"]] += 1
            self.tp["ALL"] += 1
        for i, e in enumerate(ents):
            if not e["optional"] and i not in matched:
                self.fn[e["type"]] += 1
                self.fn["ALL"] += 1
                self.errors.append(f"{doc_id} FN {e['type']} {e['name']}")
        self._add_cited(doc_id, gold, ents, cited)

    def _add_cited(self, doc_id: str, gold: dict, ents: list[dict], cited: list[str]) -> None:
        alias_of = {norm(a): norm(e["name"]) for e in ents for a in e["aliases"]}
        pred_ag = {alias_of.get(norm(c), norm(c)) for c in cited}
        gold_ag = {alias_of.get(norm(a), norm(a)) for a in gold.get("agencies_cited", [])}
        self.tp["AGENCY"] += len(pred_ag & gold_ag)
        self.fp["AGENCY"] += len(pred_ag - gold_ag)
        self.fn["AGENCY"] += len(gold_ag - pred_ag)
        self.errors += [f"{doc_id} FP AGENCY {a}" for a in pred_ag - gold_ag]
        self.errors += [f"{doc_id} FN AGENCY {a}" for a in gold_ag - pred_ag]

    def row(self, key: str) -> tuple[float, float, float, int]:
        tp, fp, fn = self.tp[key], self.fp[key], self.fn[key]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0), tp + fn


def doc_tables(title: str, scores: dict[str, Score]) -> list[str]:
    """One table, a column group per system (before / after)."""
    names = list(scores)
    head = " | ".join(f"{n} P | {n} R | {n} F1" for n in names)
    lines = [f"### {title}", "", f"| type | {head} | gold |", "|---" * (2 + 3 * len(names)) + "|"]
    for key in ("PER", "LOC", "ORG", "ALL", "AGENCY"):
        label = {"ALL": "overall", "AGENCY": "cited sources"}.get(key, key)
        cells = []
        for n in names:
            p, r, f, gold = scores[n].row(key)
            cells.append(f"{p:.3f} | {r:.3f} | {f:.3f}")
        lines.append(f"| {label} | {' | '.join(cells)} | {gold} |")
    return lines


def heldout_gold(item: dict) -> dict:
    def ent(t: str, al: list[str], optional: bool) -> dict:
        types = t.split("|")
        return {"name": al[0], "type": types[0], "alt_types": types[1:], "aliases": al,
                "optional": optional}  # fmt: skip

    return {
        "entities": [ent(t, a, False) for t, a in item["entities"]]
        + [ent(t, a, True) for t, a in item.get("optional", [])],
        "ignore": item.get("ignore", []),
        "agencies_cited": item.get("cited", []),
    }


def document_sets(gold_path: Path, want_errors: bool) -> list[str]:
    docs: list[tuple[str, str, dict, tuple]] = []  # (set, id, gold, (title, body, lang, pub))
    if gold_path.exists():
        gold = json.loads(gold_path.read_text(encoding="utf-8"))["docs"]
        for doc_id in sorted(gold):
            t, b = seed_text(SEEDS / doc_id)
            docs.append(
                ("seed gold (5 RFI Chinese articles)", doc_id, gold[doc_id], (t, b, "zh", None))
            )
    for path in sorted(HELDOUT.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            it = json.loads(line)
            label = f"{path.stem}, {it['language'].split('-')[0]}"
            args = (it.get("title"), it["body"], it["language"], it.get("publisher"))
            docs.append((label, it["id"], heldout_gold(it), args))
    by_set: dict[str, dict[str, Score]] = defaultdict(dict)
    for sys_name, options in (("before", RULES_ONLY), ("after", DEFAULT)):
        results = enrich_many(
            [d[3][:3] for d in docs], publishers=[d[3][3] for d in docs], options=options
        )
        for (label, doc_id, gold, _), r in zip(docs, results, strict=True):
            sc = by_set[label].setdefault(sys_name, Score())
            sc.add_doc(doc_id, gold, [(e.name, e.type) for e in r.entities],
                       [c.name for c in r.cited_sources])  # fmt: skip
    lines: list[str] = []
    for label, scores in by_set.items():
        lines += ["", *doc_tables(label, scores)]
        if want_errors:
            lines += scores["after"].errors
    return lines


# --------------------------------------------------------------------------- worker cost

_WORKER = """
import resource, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
from services.enricher import enrich, crf
from services.enricher.gazetteer import get_gazetteer
from services.enricher.lac_batch import get_model
get_gazetteer(); get_model(); crf.get_tagger(crf.ZH_MODEL); crf.get_tagger(crf.EN_MODEL)
load = time.perf_counter() - t0
enrich("标题", "据新华社报道，李强在北京会见了德国总理默茨。", "zh")
enrich("Title", "Chancellor Friedrich Merz met Li Qiang in Beijing, Xinhua said.", "en")
print(load, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def worker_cost() -> tuple[float, float]:
    """(seconds to load every model, peak MB) of a fresh process, like an enrich worker."""
    out = subprocess.run(
        [sys.executable, "-c", _WORKER, str(ROOT)], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--sets", default=",".join(NER_SETS), help="NER sets to run")
    ap.add_argument("--errors", action="store_true", help="list the product's errors (tune)")
    ap.add_argument("--only", default="", help="comma-separated system names (substrings)")
    ap.add_argument("--repeat", type=int, default=1, help="passes for the speed table (0: none)")
    args = ap.parse_args()
    only = [o for o in args.only.split(",") if o]
    print("## Entities: exact span + type, micro P/R/F1 over PER/LOC/ORG\n")
    for key in [k for k in args.sets.split(",") if k]:
        print("\n".join(ner_table(key, args.errors, only)), "\n", flush=True)
    if args.repeat:
        print("\n".join(speed_table(args.repeat)), "\n", flush=True)
    print("## Document gold: (name, type) sets per article; cited sources\n")
    print("\n".join(document_sets(args.gold, args.errors)), "\n")
    load, peak = worker_cost()
    print("| cost | value |\n|---|---|")
    print(f"| model load, fresh process (LAC + 2 CRFs + gazetteer), s | {load:.2f} |")
    print(f"| peak RSS of that worker after enriching, MB | {peak:,.0f} |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| peak RSS of this benchmark process, MB | {rss:,.0f} |")


if __name__ == "__main__":
    main()
