"""Site profiles: small declarative fixes for one publisher's layout, applied on top of the
generic path (never instead of it). A publisher names its profile in shared.publishers
(`Publisher.profile`); `profile_for(url)` finds it.

A profile may only *add* knowledge: where the article container is, which nodes or sentences are
furniture, how the site suffixes titles. Everything else stays generic, so a profile that goes
stale after a redesign degrades to the generic result instead of breaking the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shared.publishers import lookup


@dataclass(frozen=True)
class Profile:
    name: str
    # XPath of the article's content containers, taken in document order (lead + body).
    body: tuple[str, ...] = ()
    # XPath of nodes to remove before extraction (share bars, newsletter boxes, related lists).
    drop: tuple[str, ...] = ()
    # Paragraph texts that are furniture on this site.
    drop_text: tuple[re.Pattern[str], ...] = field(default_factory=tuple)
    # Names the site appends to titles, beyond og:site_name ("RFI" in "Headline - RFI").
    site_names: tuple[str, ...] = ()
    # XPath of the standfirst when the site marks it.
    lead: tuple[str, ...] = ()


def _registry() -> dict[str, Profile]:
    from services.parser.profiles import rfi

    return {p.name: p for p in (rfi.PROFILE,)}


PROFILES: dict[str, Profile] = _registry()


def profile_for(url: str) -> Profile | None:
    """The site profile of the publisher of `url`, if it has one."""
    found = lookup(url)
    if found is None or not found[0].profile:
        return None
    return PROFILES.get(found[0].profile)
