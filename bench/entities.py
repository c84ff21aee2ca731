"""Entity / cited-source benchmark for the enricher.

    .venv/bin/python bench/entities.py [--gold /work/shared/ner-gold/seeds.json] [--repeat 5]

Scores enrich() against the seed gold (see /work/shared/ner-gold/README.md): per article, the
set of predicted (name, type) against the gold entities; a prediction matches when its name,
without '·', '-', '•' and spaces, equals one of the entity's aliases (and its type is the gold
type or an accepted alternative); optional entities are neither rewarded nor penalised;
`ignore` surfaces are not scored. Agencies: predicted cited sources against `agencies_cited`.
Also scores the held-out paragraphs in tests/test_enricher_heldout.py (written for this repo,
not from the seeds), and measures throughput (chars/s, one process) and peak memory.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

from lxml import html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.enricher import enrich, enrich_many  # noqa: E402

SEEDS = Path("/work/shared/seeds")
GOLD = Path("/work/shared/ner-gold/seeds.json")


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
    def __init__(self) -> None:
        self.tp: dict[str, int] = defaultdict(int)
        self.fp: dict[str, int] = defaultdict(int)
        self.fn: dict[str, int] = defaultdict(int)
        self.errors: list[str] = []

    def add_doc(self, doc_id: str, gold: dict, predicted: list[tuple[str, str]], cited: list[str]):
        ignore = {norm(x) for x in gold.get("ignore", [])}
        ents = gold["entities"]
        matched: set[int] = set()
        for name, typ in predicted:
            n = norm(name)
            if n in ignore:
                continue
            hit = None
            for i, e in enumerate(ents):
                if n in {norm(a) for a in e["aliases"]} and typ in [e["type"], *e["alt_types"]]:
                    hit = i
                    break
            if hit is None:
                # a right name with a wrong type is an error; an optional one is not scored
                opt = any(e["optional"] and n in {norm(a) for a in e["aliases"]} for e in ents)
                if not opt:
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
        gold_ag = {norm(a) for a in gold.get("agencies_cited", [])}
        alias_of = {}
        for e in ents:
            for a in e["aliases"]:
                alias_of[norm(a)] = norm(e["name"])
        pred_ag = {alias_of.get(norm(c), norm(c)) for c in cited}
        gold_ag = {alias_of.get(a, a) for a in gold_ag}
        self.tp["AGENCY"] += len(pred_ag & gold_ag)
        self.fp["AGENCY"] += len(pred_ag - gold_ag)
        self.fn["AGENCY"] += len(gold_ag - pred_ag)
        for a in pred_ag - gold_ag:
            self.errors.append(f"{doc_id} FP AGENCY {a}")
        for a in gold_ag - pred_ag:
            self.errors.append(f"{doc_id} FN AGENCY {a}")

    def row(self, key: str) -> tuple[float, float, float, int]:
        tp, fp, fn = self.tp[key], self.fp[key], self.fn[key]
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f, tp + fn

    def table(self, title: str) -> str:
        lines = [f"### {title}", "", "| type | P | R | F1 | gold |", "|---|---|---|---|---|"]
        for key in ("PER", "LOC", "ORG", "ALL", "AGENCY"):
            p, r, f, n = self.row(key)
            label = "overall" if key == "ALL" else ("agencies" if key == "AGENCY" else key)
            lines.append(f"| {label} | {p:.3f} | {r:.3f} | {f:.3f} | {n} |")
        return "\n".join(lines)


def load_heldout() -> list[tuple[str, dict]]:
    """(set name, item): the first held-out set (rules tuned on it) and the second (not)."""
    out = []
    for fname, var, label in (
        ("test_enricher_heldout.py", "HELDOUT", "held-out 1"),
        ("test_enricher_heldout2.py", "HELDOUT2", "held-out 2"),
        ("test_enricher_heldout3.py", "HELDOUT3", "held-out 3"),
        ("test_enricher_heldout4.py", "HELDOUT4", "held-out 4"),
    ):
        spec = importlib.util.spec_from_file_location(var.lower(), ROOT / "tests" / fname)
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out += [(label, item) for item in getattr(mod, var)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", type=Path, default=GOLD)
    ap.add_argument("--repeat", type=int, default=5, help="passes over the texts for speed")
    ap.add_argument("--errors", action="store_true", help="list FP/FN")
    args = ap.parse_args()

    gold = json.loads(args.gold.read_text(encoding="utf-8"))["docs"]
    texts = {doc_id: seed_text(SEEDS / doc_id) for doc_id in sorted(gold)}

    seeds = Score()
    for doc_id, (title, body) in texts.items():
        r = enrich(title, body, "zh")
        seeds.add_doc(
            doc_id,
            gold[doc_id],
            [(e.name, e.type) for e in r.entities],
            [c.name for c in r.cited_sources],
        )
    print(seeds.table(f"seed gold ({len(texts)} RFI Chinese articles)"))

    by_lang: dict[str, Score] = defaultdict(Score)
    for label, item in load_heldout():
        r = enrich(
            item.get("title"), item["body"], item["language"], publisher=item.get("publisher")
        )
        g = {
            "entities": [
                {
                    "name": a[0],
                    "type": t.split("|")[0],
                    "alt_types": t.split("|")[1:],
                    "aliases": a,
                    "optional": False,
                }
                for t, a in item["entities"]
            ]
            + [
                {"name": a[0], "type": t, "alt_types": [], "aliases": a, "optional": True}
                for t, a in item.get("optional", [])
            ],
            "ignore": item.get("ignore", []),
            "agencies_cited": item.get("cited", []),
        }
        by_lang[f"{label}, {item['language']}"].add_doc(
            item["id"], g, [(e.name, e.type) for e in r.entities], [c.name for c in r.cited_sources]
        )
    for lang, sc in sorted(by_lang.items()):
        print()
        print(sc.table(lang))
    # all held-out sets together, per language family (zh = simplified + traditional)
    fam: dict[str, Score] = defaultdict(Score)
    for label, sc in by_lang.items():
        f = fam[label.split(", ")[1].split("-")[0]]
        for d_src, d_dst in ((sc.tp, f.tp), (sc.fp, f.fp), (sc.fn, f.fn)):
            for k, v in d_src.items():
                d_dst[k] += v
    for lang, sc in sorted(fam.items()):
        print()
        print(sc.table(f"all held-out sets, {lang}"))

    # throughput: all seed texts, batched like the pipeline does
    items = [(t, b, "zh") for t, b in texts.values()]
    chars = sum(len(t) + len(b) for t, b, _ in items)
    enrich_many(items)  # warm
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.repeat):
        enrich_many(items * 4)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    speed = chars * 4 * args.repeat / dt
    # per CPU-second = per core: the machine is shared, wall time includes waiting for a core
    per_cpu = chars * 4 * args.repeat / cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print("| metric | value |\n|---|---|")
    print(f"| Chinese chars/s, wall clock (1 process, seeds x{4 * args.repeat}) | {speed:,.0f} |")
    print(f"| Chinese chars per CPU-second (= per core) | {per_cpu:,.0f} |")
    print(f"| peak RSS (MB) | {peak:,.0f} |")
    if args.errors:
        print()
        for e in seeds.errors + [x for s in by_lang.values() for x in s.errors]:
            print(e)


if __name__ == "__main__":
    main()
