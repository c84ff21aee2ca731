"""Publishers of Taiwan."""

from shared.publishers import pub

TPE = "Asia/Taipei"
PUBLISHERS = [
    pub(
        "cna.com.tw",
        "Central News Agency",
        "TW",
        "wire agency",
        TPE,
        zh="中央社",
        zh_hant="中央社",
        aliases=("中央通讯社", "中央通訊社", "CNA", "Focus Taiwan"),
    ),
    pub(
        "udn.com",
        "United Daily News",
        "TW",
        "newspaper",
        TPE,
        zh="联合报",
        zh_hant="聯合報",
        aliases=("联合新闻网", "聯合新聞網"),
    ),
    pub("ltn.com.tw", "Liberty Times", "TW", "newspaper", TPE, zh="自由时报", zh_hant="自由時報"),
    pub("chinatimes.com", "China Times", "TW", "newspaper", TPE, zh="中国时报", zh_hant="中國時報"),
    pub("storm.mg", "Storm Media", "TW", "online", TPE, zh="风传媒", zh_hant="風傳媒"),
]
