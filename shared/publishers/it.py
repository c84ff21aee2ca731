"""Italian publishers."""

from shared.publishers import pub

ROM = "Europe/Rome"
PUBLISHERS = [
    pub(
        "ansa.it",
        "ANSA",
        "IT",
        "wire agency",
        ROM,
        zh="安莎社",
        zh_hant="安莎社",
        aliases=("安莎通讯社", "意大利安莎社"),
    ),
    pub("corriere.it", "Corriere della Sera", "IT", "newspaper", ROM, zh="晚邮报"),
    pub("repubblica.it", "La Repubblica", "IT", "newspaper", ROM, zh="共和报"),
]
