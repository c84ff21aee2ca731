"""German publishers."""

from shared.publishers import Edition, pub

BER = "Europe/Berlin"
PUBLISHERS = [
    pub(
        "dpa.com",
        "dpa",
        "DE",
        "wire agency",
        BER,
        zh="德新社",
        zh_hant="德新社",
        aliases=("Deutsche Presse-Agentur", "德国新闻社", "DPA"),
    ),
    pub(
        "dw.com",
        "Deutsche Welle",
        "DE",
        "public international broadcaster",
        BER,
        zh="德国之声",
        zh_hant="德國之聲",
        aliases=("DW",),
        editions=(
            Edition("de", "DW", "/de/"),
            Edition("en", "DW", "/en/"),
            Edition("zh", "德国之声", "/zh/"),
            Edition("zh-Hant", "德國之聲", "/zh-hant/"),
        ),
    ),
    pub(
        "spiegel.de",
        "Der Spiegel",
        "DE",
        "magazine",
        BER,
        zh="明镜周刊",
        zh_hant="明鏡周刊",
        aliases=("Spiegel", "明镜"),
    ),
    pub(
        "faz.net",
        "Frankfurter Allgemeine Zeitung",
        "DE",
        "newspaper",
        BER,
        zh="法兰克福汇报",
        aliases=("FAZ",),
    ),
    pub("sueddeutsche.de", "Süddeutsche Zeitung", "DE", "newspaper", BER, zh="南德意志报"),
    pub("zeit.de", "Die Zeit", "DE", "newspaper", BER, zh="时代周报"),
    pub("bild.de", "Bild", "DE", "newspaper", BER, zh="图片报"),
    pub(
        "tagesschau.de",
        "Tagesschau",
        "DE",
        "public broadcaster",
        BER,
        zh="德国电视一台",
        aliases=("ARD",),
    ),
]
