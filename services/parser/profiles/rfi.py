"""RFI (rfi.fr): every language edition (/fr/, /cn/, /tw/, /en/...) shares one layout."""

import re

from services.parser.profiles import Profile


def _cls(name: str) -> str:
    """XPath test for one CSS class token."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


PROFILE = Profile(
    name="rfi",
    body=(f"//*[{_cls('t-content__chapo')} or {_cls('t-content__body')}]",),
    lead=(f"//*[{_cls('t-content__chapo')}]",),
    drop=(
        "//*[@data-selfpromo-newsletter or @data-selfpromo-app or @data-root-share]",
        f"//*[{_cls('m-em-newsletter')} or {_cls('o-self-promo')} or {_cls('m-feed-sub')}]",
        f"//*[{_cls('m-share')} or {_cls('m-interstitial')} or {_cls('m-item-list-article')}]",
        f"//*[{_cls('t-content__tags')} or {_cls('m-em-image__caption')}]",
    ),
    drop_text=(
        # The inline newsletter box, in each edition's language.
        re.compile(
            r"^(电邮新闻|電郵新聞|Newsletter|Lettre d'information|Boletín)\b.{0,80}(订阅|訂閱|Subscribe|Je m'abonne|S'abonner|Suscribirse)",
            re.I,
        ),
    ),
    site_names=("RFI", "RFI - Radio France Internationale", "法国国际广播电台", "法國國際廣播電台"),
)
