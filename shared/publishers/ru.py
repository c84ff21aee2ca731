"""Russian publishers."""

from shared.publishers import pub

MSK = "Europe/Moscow"
PUBLISHERS = [
    pub(
        "tass.ru",
        "TASS",
        "RU",
        "wire agency",
        MSK,
        zh="塔斯社",
        zh_hant="塔斯社",
        aliases=("俄罗斯塔斯社", "塔斯通讯社", "俄塔社", "俄通社-塔斯社", "Tass", "ITAR-TASS"),
    ),
    pub(
        "ria.ru",
        "RIA Novosti",
        "RU",
        "wire agency",
        MSK,
        zh="俄新社",
        zh_hant="俄新社",
        aliases=(
            "俄罗斯新闻社",
            "RIA",
            "Ria Novosti",
            "RIA-Novosti",
            "俄罗斯新闻通讯社",
            "今日俄罗斯通讯社",
        ),
    ),
    pub(
        "interfax.ru",
        "Interfax",
        "RU",
        "wire agency",
        MSK,
        zh="国际文传电讯社",
        zh_hant="國際文傳電訊社",
        aliases=("国际文传通讯社", "文传电讯社"),
    ),
    pub(
        "sputniknews.com",
        "Sputnik",
        "RU",
        "wire agency",
        MSK,
        zh="卫星通讯社",
        zh_hant="衛星通訊社",
        aliases=("俄罗斯卫星通讯社", "卫星社"),
    ),
    pub(
        "rt.com",
        "RT",
        "RU",
        "public international broadcaster",
        MSK,
        zh="今日俄罗斯",
        zh_hant="今日俄羅斯",
        aliases=("Russia Today", "今日俄罗斯电视台"),
    ),
    pub("kommersant.ru", "Kommersant", "RU", "newspaper", MSK, zh="生意人报", zh_hant="生意人報"),
    pub("iz.ru", "Izvestia", "RU", "newspaper", MSK, zh="消息报", zh_hant="消息報"),
    pub("rbc.ru", "RBC", "RU", "online", MSK, zh="俄罗斯商业咨询"),
    pub("novayagazeta.ru", "Novaya Gazeta", "RU", "newspaper", MSK, zh="新报"),
]
