"""French publishers."""

from shared.publishers import Edition, Publisher

PUBLISHERS = [
    Publisher(
        domain="rfi.fr",
        name_en="RFI",
        country="FR",
        kind="public international broadcaster",
        timezone="Europe/Paris",
        profile="rfi",
        editions=(
            Edition("fr", "RFI", "/fr/", feeds=("https://www.rfi.fr/fr/rss",)),
            Edition("zh", "法国国际广播电台", "/cn/", feeds=("https://www.rfi.fr/cn/rss",)),
            Edition("zh-Hant", "法國國際廣播電台", "/tw/", feeds=("https://www.rfi.fr/tw/rss",)),
            Edition("en", "RFI", "/en/", feeds=("https://www.rfi.fr/en/rss",)),
            Edition("es", "RFI", "/es/"),
            Edition("pt", "RFI", "/pt/"),
            Edition("ru", "RFI", "/ru/"),
            Edition("vi", "RFI", "/vi/"),
            Edition("fa", "RFI", "/fa/"),
        ),
    ),
    Publisher(
        domain="france24.com",
        name_en="France 24",
        country="FR",
        kind="public international broadcaster",
        timezone="Europe/Paris",
        editions=(
            Edition("fr", "France 24", "/fr/"),
            Edition("en", "France 24", "/en/"),
        ),
    ),
    Publisher(
        domain="lemonde.fr",
        name_en="Le Monde",
        country="FR",
        kind="newspaper",
        timezone="Europe/Paris",
        editions=(Edition("fr", "Le Monde", "/"),),
    ),
    Publisher(
        domain="afp.com",
        name_en="AFP",
        country="FR",
        kind="wire agency",
        timezone="Europe/Paris",
        editions=(Edition("fr", "Agence France-Presse", "/"),),
    ),
]
