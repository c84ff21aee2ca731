"""Spanish publishers."""

from shared.publishers import pub

MAD = "Europe/Madrid"
PUBLISHERS = [
    pub(
        "efe.com",
        "EFE",
        "ES",
        "wire agency",
        MAD,
        zh="埃菲社",
        zh_hant="埃菲社",
        aliases=("Agencia EFE", "西班牙埃菲社"),
    ),
    pub("elpais.com", "El País", "ES", "newspaper", MAD, zh="国家报", aliases=("El Pais",)),
]
