"""Publishers of mainland China."""

from shared.publishers import Edition, pub

TZ = "Asia/Shanghai"
PUBLISHERS = [
    pub(
        "news.cn",
        "Xinhua",
        "CN",
        "wire agency",
        TZ,
        zh="新华社",
        zh_hant="新華社",
        aliases=("新华通讯社", "Xinhua News Agency", "Chine nouvelle"),
        editions=(Edition("zh", "新华网", "/"), Edition("en", "Xinhua", "/english/")),
    ),
    pub(
        "chinanews.com.cn",
        "China News Service",
        "CN",
        "wire agency",
        TZ,
        zh="中新社",
        zh_hant="中新社",
        aliases=("中国新闻社", "中新网", "China News"),
    ),
    pub(
        "people.com.cn",
        "People's Daily",
        "CN",
        "newspaper",
        TZ,
        zh="人民日报",
        zh_hant="人民日報",
        aliases=("人民网", "《人民日报》"),
        editions=(Edition("zh", "人民网", "/"),),
    ),
    pub(
        "globaltimes.cn",
        "Global Times",
        "CN",
        "newspaper",
        TZ,
        zh="环球时报",
        zh_hant="環球時報",
        aliases=("环球网",),
    ),
    pub(
        "cctv.com",
        "CCTV",
        "CN",
        "broadcaster",
        TZ,
        zh="央视",
        zh_hant="央視",
        aliases=("中央电视台", "中国中央电视台", "央视新闻", "China Central Television"),
    ),
    pub(
        "cgtn.com",
        "CGTN",
        "CN",
        "public international broadcaster",
        TZ,
        zh="中国国际电视台",
        aliases=("China Global Television Network",),
    ),
    pub(
        "chinadaily.com.cn", "China Daily", "CN", "newspaper", TZ, zh="中国日报", zh_hant="中國日報"
    ),
    pub(
        "caixin.com",
        "Caixin",
        "CN",
        "online",
        TZ,
        zh="财新",
        zh_hant="財新",
        aliases=("财新网", "财新传媒"),
    ),
    pub("thepaper.cn", "The Paper", "CN", "online", TZ, zh="澎湃新闻", zh_hant="澎湃新聞"),
    pub("gmw.cn", "Guangming Daily", "CN", "newspaper", TZ, zh="光明日报"),
    pub("81.cn", "PLA Daily", "CN", "newspaper", TZ, zh="解放军报"),
]
