"""Publishers declared as data, grouped by country (one module per country).

A `Publisher` names an outlet (in English and per language edition), its country, kind and the
time zone its pages use when they print local times without an offset. `lookup(url)` finds the
publisher and edition for a URL. Parser site profiles and the enricher both read this registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from shared.urls import host_of


@dataclass(frozen=True)
class Edition:
    """A language edition of a publisher, selected by URL path prefix (e.g. "/cn/")."""

    language: str  # BCP 47, e.g. "zh"
    name: str  # the outlet's name in that language
    path_prefix: str = "/"
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Publisher:
    domain: str  # registrable domain, e.g. "rfi.fr"
    name_en: str
    country: str  # ISO 3166-1 alpha-2
    kind: str  # e.g. "public international broadcaster"
    timezone: str  # IANA zone used for local-only page times
    editions: tuple[Edition, ...] = field(default_factory=tuple)
    profile: str | None = None  # parser site profile name (services/parser/profiles)
    # how other outlets' texts name it, per language: (("zh", "路透社"), ("en", "Reuters"));
    # the enricher uses these (and `aliases`) to recognise it as a cited source / ORG entity
    names: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()  # other surface forms in any language: "AP", "美联社"

    def name_in(self, language: str | None) -> str:
        """The outlet's name for a text in `language` (an edition's name, else a known name)."""
        lang = (language or "").lower()
        # regional Chinese tags to script tags: zh-TW/zh-HK/zh-MO write traditional
        lang = {"zh-tw": "zh-hant", "zh-hk": "zh-hant", "zh-mo": "zh-hant"}.get(lang, lang)
        lang = {"zh-cn": "zh", "zh-sg": "zh", "zh-hans": "zh"}.get(lang, lang)
        base = lang.split("-")[0]
        known = {k.lower(): v for k, v in self.names}
        for ed in self.editions:
            if ed.language.lower() == lang:
                return ed.name
        if lang in known:
            return known[lang]
        for ed in self.editions:
            if ed.language.lower().split("-")[0] == base and "-" not in ed.language:
                return ed.name
        if base in known:
            return known[base]
        for ed in self.editions:
            if ed.language.lower().split("-")[0] == base:
                return ed.name
        return self.name_en

    def edition_for(self, path: str) -> Edition | None:
        best: Edition | None = None
        for ed in self.editions:
            if path.startswith(ed.path_prefix) and (
                best is None or len(ed.path_prefix) > len(best.path_prefix)
            ):
                best = ed
        return best


def _registry() -> dict[str, Publisher]:
    # one module per country (fundus-style); "intl" holds multinational bodies' outlets
    from shared.publishers import (
        ae,
        cn,
        de,
        es,
        fr,
        gb,
        hk,
        it,
        jp,
        kp,
        kr,
        qa,
        ru,
        tw,
        ua,
        us,
        world,
    )

    out: dict[str, Publisher] = {}
    for module in (ae, cn, de, es, fr, gb, hk, it, jp, kp, kr, qa, ru, tw, ua, us, world):
        for pub in module.PUBLISHERS:
            if pub.domain in out:
                raise ValueError(f"publisher {pub.domain} registered twice")
            out[pub.domain] = pub
    return out


def pub(
    domain: str,
    name_en: str,
    country: str,
    kind: str,
    timezone: str,
    zh: str | None = None,
    aliases: tuple[str, ...] = (),
    editions: tuple[Edition, ...] = (),
    zh_hant: str | None = None,
    fr: str | None = None,
    profile: str | None = None,
) -> Publisher:
    """Compact constructor for the country modules: names in zh/zh-Hant/en/fr + aliases."""
    names = [("en", name_en)]
    if zh:
        names.append(("zh", zh))
    if zh_hant:
        names.append(("zh-Hant", zh_hant))
    if fr:
        names.append(("fr", fr))
    return Publisher(
        domain=domain,
        name_en=name_en,
        country=country,
        kind=kind,
        timezone=timezone,
        editions=editions,
        profile=profile,
        names=tuple(names),
        aliases=aliases,
    )


REGISTRY: dict[str, Publisher] = _registry()


def all_publishers() -> list[Publisher]:
    return list(REGISTRY.values())


def registered_sources(country: str | None = None) -> list[tuple[str, str]]:
    """("feed" | "sitemap", URL) of every edition in the registry (of one country): the
    registry drives discovery, fundus-style, via `manage.py feeds add --registered`."""
    out: list[tuple[str, str]] = []
    for pub in all_publishers():
        if country and pub.country.lower() != country.lower():
            continue
        for ed in pub.editions:
            out += [("feed", url) for url in ed.feeds]
            out += [("sitemap", url) for url in ed.sitemaps]
    return list(dict.fromkeys(out))


def lookup(url: str) -> tuple[Publisher, Edition | None] | None:
    """The registered publisher of `url` (matching the host or any parent domain), with edition."""
    host = host_of(url)
    parts = host.split(".")
    for i in range(len(parts) - 1):
        pub = REGISTRY.get(".".join(parts[i:]))
        if pub is not None:
            return pub, pub.edition_for(urlsplit(url).path or "/")
    return None
