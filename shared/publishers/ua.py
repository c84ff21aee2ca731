"""Ukrainian publishers."""

from shared.publishers import pub

KYIV = "Europe/Kyiv"
PUBLISHERS = [
    pub(
        "ukrinform.net",
        "Ukrinform",
        "UA",
        "wire agency",
        KYIV,
        zh="乌克兰国家通讯社",
        aliases=("乌克兰通讯社",),
    ),
    pub(
        "kyivindependent.com",
        "The Kyiv Independent",
        "UA",
        "online",
        KYIV,
        zh="基辅独立报",
        aliases=("Kyiv Independent",),
    ),
    pub("pravda.com.ua", "Ukrainska Pravda", "UA", "online", KYIV, zh="乌克兰真理报"),
]
