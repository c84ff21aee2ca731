"""Fourth held-out set, written at the end of the session and measured once without changing
any rule for it: the final unbiased check. Same format as test_enricher_heldout.py."""

from __future__ import annotations

import pytest

from tests.test_enricher_heldout import _f1

HELDOUT4: list[dict] = [
    {
        "id": "h4-zh-trade",
        "language": "zh",
        "title": "中美经贸磋商在日内瓦举行",
        "body": (
            "据新华社报道，国务院副总理何立峰周六在瑞士日内瓦与美国财政部长贝森特、"
            "贸易代表格里尔举行会谈。双方同意建立经贸磋商机制。"
            "\n\n商务部新闻发言人何亚东在北京表示，中方愿与美方相向而行。"
            "彭博社援引知情人士的话说，两国可能在九十天内暂停加征部分关税。"
            "世界贸易组织总干事伊维拉对会谈结果表示欢迎。"
        ),
        "entities": [
            ("ORG", ["新华社"]),
            ("ORG", ["国务院"]),
            ("PER", ["何立峰"]),
            ("LOC", ["瑞士"]),
            ("LOC", ["日内瓦"]),
            ("LOC", ["美国"]),
            ("PER", ["贝森特"]),
            ("PER", ["格里尔"]),
            ("ORG", ["商务部"]),
            ("PER", ["何亚东"]),
            ("LOC", ["北京"]),
            ("ORG", ["彭博社"]),
            ("ORG", ["世界贸易组织", "世贸组织"]),
            ("PER", ["伊维拉"]),
        ],
        "optional": [("ORG", ["美国财政部", "财政部"]), ("LOC", ["中国"])],
        "ignore": ["中美", "中方", "美方"],
        "cited": ["新华社", "彭博社"],
    },
    {
        "id": "h4-zh-europe",
        "language": "zh",
        "title": "西班牙大停电原因仍在调查",
        "body": (
            "西班牙和葡萄牙周一发生大面积停电，马德里和里斯本的地铁一度停运。"
            "西班牙首相桑切斯在蒙克洛亚宫表示，政府尚未排除任何可能性。"
            "\n\n西班牙电网运营商红色电网公司称，电力供应已基本恢复。"
            "欧盟委员会发言人说，布鲁塞尔正在与两国政府保持联系。"
            "埃菲社报道说，加泰罗尼亚地区的医院启用了备用发电机。"
        ),
        "entities": [
            ("LOC", ["西班牙"]),
            ("LOC", ["葡萄牙"]),
            ("LOC", ["马德里"]),
            ("LOC", ["里斯本"]),
            ("PER", ["桑切斯"]),
            ("LOC|ORG", ["蒙克洛亚宫"]),
            ("ORG", ["红色电网公司"]),
            ("ORG", ["欧盟委员会"]),
            ("LOC", ["布鲁塞尔"]),
            ("ORG", ["埃菲社"]),
            ("LOC", ["加泰罗尼亚", "加泰罗尼亚地区"]),
        ],
        "optional": [],
        "ignore": [],
        "cited": ["埃菲社"],
    },
    {
        "id": "h4-zh-science",
        "language": "zh",
        "title": "研究：南极冰架融化速度加快",
        "body": (
            "英国南极调查局和美国航空航天局的科学家在《自然》杂志上发表研究报告说，"
            "南极洲西部的思韦茨冰川正在加速融化。报告的主要作者、剑桥大学教授"
            "史密斯接受英国广播公司采访时表示，海平面上升的风险被低估了。"
            "\n\n中国科学院的研究人员也在青海和西藏设立了新的观测站。"
        ),
        "entities": [
            ("ORG", ["英国南极调查局"]),
            ("ORG", ["美国航空航天局", "航空航天局"]),
            ("LOC", ["南极洲"]),
            ("LOC", ["思韦茨冰川"]),
            ("ORG", ["剑桥大学"]),
            ("PER", ["史密斯"]),
            ("ORG", ["英国广播公司"]),
            ("ORG", ["中国科学院"]),
            ("LOC", ["青海"]),
            ("LOC", ["西藏"]),
        ],
        "optional": [("ORG", ["自然"]), ("LOC", ["南极"]), ("LOC", ["英国"])],
        "ignore": [],
        "cited": [],
    },
    {
        "id": "h4-zh-hant-hk",
        "language": "zh-Hant",
        "title": "港府公布施政報告",
        "body": (
            "行政長官李家超週三在立法會發表施政報告，宣布將在北部都會區興建新的大學城。"
            "據明報報導，財政司司長陳茂波表示，政府會控制開支。"
            "\n\n民主黨前主席批評報告忽視民生問題。"
            "國務院港澳事務辦公室發表聲明表示支持。"
        ),
        "entities": [
            ("PER", ["李家超"]),
            ("ORG", ["立法會", "立法会", "香港立法會"]),
            ("LOC", ["北部都會區", "北部都会区"]),
            ("ORG", ["明報", "明报"]),
            ("PER", ["陳茂波", "陈茂波"]),
            ("ORG", ["民主黨", "民主党"]),
            ("ORG", ["國務院港澳事務辦公室", "国务院港澳事务办公室", "港澳辦"]),
        ],
        "optional": [("ORG", ["國務院", "国务院"])],
        "ignore": ["政府", "港府"],
        "cited": ["明報"],
    },
    {
        "id": "h4-en-health",
        "language": "en",
        "title": "WHO warns of measles surge in Europe",
        "body": (
            "GENEVA (Reuters) - Measles cases in Europe and Central Asia reached their highest "
            "level in more than 25 years last year, the World Health Organization and UNICEF said "
            "on Thursday.\n\nHans Kluge, the WHO's regional director for Europe, said Romania "
            "and Kazakhstan had reported the most cases. Catherine Russell, UNICEF's executive "
            "director, urged governments to invest in vaccination.\n\n"
            "The Centers for Disease Control and Prevention reported a separate outbreak in "
            "Texas, according to the Associated Press."
        ),
        "publisher": "https://www.reuters.com/business/healthcare-pharmaceuticals/x",
        "entities": [
            ("LOC", ["Geneva", "GENEVA"]),
            ("LOC", ["Europe"]),
            ("LOC", ["Central Asia"]),
            ("ORG", ["World Health Organization", "WHO"]),
            ("ORG", ["UNICEF"]),
            ("PER", ["Hans Kluge", "Kluge"]),
            ("LOC", ["Romania"]),
            ("LOC", ["Kazakhstan"]),
            ("PER", ["Catherine Russell", "Russell"]),
            ("ORG", ["Centers for Disease Control and Prevention", "CDC"]),
            ("LOC", ["Texas"]),
            ("ORG", ["Associated Press", "AP"]),
        ],
        "optional": [("ORG", ["Reuters"])],
        "ignore": [],
        "cited": ["Associated Press"],
    },
    {
        "id": "h4-en-markets",
        "language": "en",
        "title": "Oil jumps after OPEC+ surprise cut",
        "body": (
            "Oil prices rose more than 4% on Monday after Saudi Arabia, Russia and other members "
            "of OPEC+ announced a surprise cut in output, Bloomberg reported.\n\n"
            "Brent crude traded at $84 a barrel in London. Saudi Energy Minister Prince "
            "Abdulaziz bin Salman said the move was a precaution. Analysts at Goldman Sachs "
            "raised their price forecast, while the International Energy Agency in Paris warned "
            "of tighter supplies.\n\nIn Washington, a White House spokesperson said the cut was "
            "not advisable."
        ),
        "entities": [
            ("LOC", ["Saudi Arabia"]),
            ("LOC", ["Russia"]),
            ("ORG", ["OPEC+", "OPEC"]),
            ("ORG", ["Bloomberg"]),
            ("LOC", ["London"]),
            ("PER", ["Abdulaziz bin Salman", "Prince Abdulaziz bin Salman"]),
            ("ORG", ["Goldman Sachs"]),
            ("ORG", ["International Energy Agency", "IEA"]),
            ("LOC", ["Paris"]),
            ("LOC", ["Washington"]),
            ("ORG", ["White House"]),
        ],
        "optional": [],
        "ignore": ["Brent"],
        "cited": ["Bloomberg"],
    },
    {
        "id": "h4-en-africa",
        "language": "en",
        "title": "Kenya sends more police to Haiti",
        "body": (
            "NAIROBI - Kenya will send another 600 police officers to Haiti, President William "
            "Ruto said on Saturday, as gangs tightened their grip on Port-au-Prince.\n\n"
            "The United Nations Security Council extended the mission's mandate last month. "
            "Haitian Prime Minister Alix Didier Fils-Aime thanked Nairobi, Agence France-Presse "
            "reported. The mission is partly funded by the United States and Canada."
        ),
        "entities": [
            ("LOC", ["Nairobi", "NAIROBI"]),
            ("LOC", ["Kenya"]),
            ("LOC", ["Haiti"]),
            ("PER", ["William Ruto", "Ruto"]),
            ("LOC", ["Port-au-Prince"]),
            ("ORG", ["United Nations Security Council", "UN Security Council"]),
            ("PER", ["Alix Didier Fils-Aime"]),
            ("ORG", ["Agence France-Presse", "AFP"]),
            ("LOC", ["United States"]),
            ("LOC", ["Canada"]),
        ],
        "optional": [],
        "ignore": ["Haitian"],
        "cited": ["AFP"],
    },
    {
        "id": "h4-fr-societe",
        "language": "fr",
        "title": "Grève à la SNCF : trafic perturbé",
        "body": (
            "Le trafic ferroviaire est fortement perturbé mardi en raison d'une grève à la SNCF, "
            "a indiqué la direction de l'entreprise à l'AFP. À Lyon et à Bordeaux, de nombreux "
            "TGV ont été annulés.\n\nLe ministre des Transports Philippe Tabarot a appelé au "
            "dialogue, tandis que la CGT a maintenu son appel à la mobilisation, selon "
            "franceinfo."
        ),
        "entities": [
            ("ORG", ["SNCF"]),
            ("ORG", ["AFP"]),
            ("LOC", ["Lyon"]),
            ("LOC", ["Bordeaux"]),
            ("PER", ["Philippe Tabarot", "Tabarot"]),
            ("ORG", ["CGT"]),
            ("ORG", ["franceinfo"]),
        ],
        "optional": [("ORG", ["TGV"])],
        "ignore": [],
        "cited": ["AFP", "franceinfo"],
    },
]


@pytest.mark.parametrize(("prefix", "minimum"), [("zh", 0.75), ("en", 0.75), ("fr", 0.5)])
def test_heldout4_f1(prefix: str, minimum: float) -> None:
    items = [i for i in HELDOUT4 if i["language"].startswith(prefix)]
    f1, errors = _f1(items)
    assert f1 >= minimum, f"{prefix} held-out-4 F1 {f1:.3f} < {minimum}: {errors}"
