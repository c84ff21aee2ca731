"""South Korean publishers."""

from shared.publishers import pub

SEL = "Asia/Seoul"
PUBLISHERS = [
    pub(
        "yna.co.kr",
        "Yonhap",
        "KR",
        "wire agency",
        SEL,
        zh="韩联社",
        zh_hant="韓聯社",
        aliases=("Yonhap News Agency", "韩国联合通讯社", "联合通讯社"),
    ),
    pub(
        "chosun.com",
        "The Chosun Ilbo",
        "KR",
        "newspaper",
        SEL,
        zh="朝鲜日报",
        zh_hant="朝鮮日報",
        aliases=("Chosun Ilbo",),
    ),
    pub(
        "joongang.co.kr", "JoongAng Ilbo", "KR", "newspaper", SEL, zh="中央日报", zh_hant="中央日報"
    ),
    pub("donga.com", "Dong-A Ilbo", "KR", "newspaper", SEL, zh="东亚日报", zh_hant="東亞日報"),
    pub(
        "koreaherald.com",
        "The Korea Herald",
        "KR",
        "newspaper",
        SEL,
        zh="韩国先驱报",
        aliases=("Korea Herald",),
    ),
    pub("kbs.co.kr", "KBS", "KR", "public broadcaster", SEL, zh="韩国广播公司"),
    pub(
        "hani.co.kr",
        "The Hankyoreh",
        "KR",
        "newspaper",
        SEL,
        zh="韩民族日报",
        aliases=("Hankyoreh",),
    ),
]
