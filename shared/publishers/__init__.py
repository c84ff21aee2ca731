"""Publishers declared as data, grouped by country (one module per country).

A `Publisher` names an outlet (in English and per language edition), its country, kind and the
time zone its pages use when they print local times without an offset. `lookup(url)` finds the
publisher and edition for a URL. Parser site profiles and the enricher both read this registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


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

    def edition_for(self, path: str) -> Edition | None:
        best: Edition | None = None
        for ed in self.editions:
            if path.startswith(ed.path_prefix) and (
                best is None or len(ed.path_prefix) > len(best.path_prefix)
            ):
                best = ed
        return best


def _registry() -> dict[str, Publisher]:
    from shared.publishers import fr  # one module per country

    out: dict[str, Publisher] = {}
    for module in (fr,):
        for pub in module.PUBLISHERS:
            out[pub.domain] = pub
    return out


REGISTRY: dict[str, Publisher] = _registry()


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def lookup(url: str) -> tuple[Publisher, Edition | None] | None:
    """The registered publisher of `url` (matching the host or any parent domain), with edition."""
    host = host_of(url)
    parts = host.split(".")
    for i in range(len(parts) - 1):
        pub = REGISTRY.get(".".join(parts[i:]))
        if pub is not None:
            return pub, pub.edition_for(urlsplit(url).path or "/")
    return None
