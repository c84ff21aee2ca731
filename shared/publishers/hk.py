"""Publishers of Hong Kong."""

from shared.publishers import pub

HKG = "Asia/Hong_Kong"
PUBLISHERS = [
    pub(
        "scmp.com",
        "South China Morning Post",
        "HK",
        "newspaper",
        HKG,
        zh="南华早报",
        zh_hant="南華早報",
        aliases=("SCMP",),
    ),
    pub("mingpao.com", "Ming Pao", "HK", "newspaper", HKG, zh="明报", zh_hant="明報"),
    pub("hk01.com", "HK01", "HK", "online", HKG, zh="香港01"),
    pub("rthk.hk", "RTHK", "HK", "public broadcaster", HKG, zh="香港电台", zh_hant="香港電台"),
    pub("singtao.com", "Sing Tao Daily", "HK", "newspaper", HKG, zh="星岛日报", zh_hant="星島日報"),
]
