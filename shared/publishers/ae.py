"""Publishers of the Middle East other than Qatar (UAE, Saudi Arabia, Iran, Turkey, Israel)."""

from shared.publishers import pub

PUBLISHERS = [
    pub(
        "alarabiya.net",
        "Al Arabiya",
        "AE",
        "broadcaster",
        "Asia/Dubai",
        zh="阿拉伯卫星电视台",
        aliases=("阿拉比亚电视台",),
    ),
    pub(
        "wam.ae",
        "WAM",
        "AE",
        "wire agency",
        "Asia/Dubai",
        zh="阿联酋通讯社",
        aliases=("Emirates News Agency",),
    ),
    pub(
        "spa.gov.sa",
        "Saudi Press Agency",
        "SA",
        "wire agency",
        "Asia/Riyadh",
        zh="沙特通讯社",
        aliases=("SPA", "沙特新闻社"),
    ),
    pub(
        "irna.ir",
        "IRNA",
        "IR",
        "wire agency",
        "Asia/Tehran",
        zh="伊通社",
        aliases=("伊朗伊斯兰共和国通讯社", "伊朗通讯社", "Islamic Republic News Agency"),
    ),
    pub(
        "aa.com.tr",
        "Anadolu Agency",
        "TR",
        "wire agency",
        "Europe/Istanbul",
        zh="阿纳多卢通讯社",
        aliases=("Anadolu", "阿纳多卢社"),
    ),
    pub(
        "haaretz.com", "Haaretz", "IL", "newspaper", "Asia/Jerusalem", zh="国土报", zh_hant="國土報"
    ),
    pub(
        "timesofisrael.com",
        "The Times of Israel",
        "IL",
        "online",
        "Asia/Jerusalem",
        zh="以色列时报",
        aliases=("Times of Israel",),
    ),
    pub(
        "jpost.com",
        "The Jerusalem Post",
        "IL",
        "newspaper",
        "Asia/Jerusalem",
        zh="耶路撒冷邮报",
        aliases=("Jerusalem Post",),
    ),
]
