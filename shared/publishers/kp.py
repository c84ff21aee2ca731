"""North Korean publishers."""

from shared.publishers import pub

PY = "Asia/Pyongyang"
PUBLISHERS = [
    pub(
        "kcna.kp",
        "KCNA",
        "KP",
        "wire agency",
        PY,
        zh="朝中社",
        zh_hant="朝中社",
        aliases=("朝鲜中央通讯社", "Korean Central News Agency", "朝鲜官方通讯社"),
    ),
    pub(
        "rodong.rep.kp",
        "Rodong Sinmun",
        "KP",
        "newspaper",
        PY,
        zh="劳动新闻",
        zh_hant="勞動新聞",
        aliases=("《劳动新闻》", "朝鲜劳动新闻"),
    ),
]
