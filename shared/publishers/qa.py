"""Publishers of Qatar."""

from shared.publishers import pub

PUBLISHERS = [
    pub(
        "aljazeera.com",
        "Al Jazeera",
        "QA",
        "broadcaster",
        "Asia/Qatar",
        zh="半岛电视台",
        zh_hant="半島電視台",
        aliases=("Al-Jazeera", "半岛新闻网"),
    ),
]
