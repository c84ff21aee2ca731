"""Second held-out set, written after the rules were tuned on the first one (and never tuned
on itself): the honest estimate of quality on news the rules have not seen. Same format as
test_enricher_heldout.py."""

from __future__ import annotations

import pytest

from tests.test_enricher_heldout import _f1

HELDOUT2: list[dict] = [
    {
        "id": "h2-zh-africa",
        "language": "zh",
        "title": "苏丹冲突持续 联合国警告饥荒扩大",
        "body": (
            "联合国世界粮食计划署周五在日内瓦表示，苏丹北达尔富尔州的饥荒正在蔓延。"
            "据美联社报道，快速支援部队连日炮击法希尔市，造成数十名平民死亡。"
            "\n\n苏丹武装部队总司令布尔汉在港口城市苏丹港会见了沙特阿拉伯特使。"
            "非洲联盟委员会主席呼吁双方在吉达恢复谈判。"
            "无国界医生组织说，乍得边境的难民营已经人满为患。"
        ),
        "entities": [
            ("ORG", ["世界粮食计划署", "联合国世界粮食计划署"]),
            ("LOC", ["日内瓦"]),
            ("LOC", ["苏丹"]),
            ("LOC", ["北达尔富尔州", "北达尔富尔"]),
            ("ORG", ["美联社"]),
            ("ORG", ["快速支援部队"]),
            ("LOC", ["法希尔市", "法希尔"]),
            ("ORG", ["苏丹武装部队"]),
            ("PER", ["布尔汉"]),
            ("LOC", ["苏丹港"]),
            ("LOC", ["沙特阿拉伯", "沙特"]),
            ("ORG", ["非洲联盟委员会"]),
            ("LOC", ["吉达"]),
            ("ORG", ["无国界医生组织", "无国界医生"]),
            ("LOC", ["乍得"]),
        ],
        "optional": [("ORG", ["联合国"]), ("ORG", ["非洲联盟", "非盟"])],
        "ignore": [],
        "cited": ["美联社"],
    },
    {
        "id": "h2-zh-latam",
        "language": "zh",
        "title": "巴西总统卢拉出席金砖国家峰会",
        "body": (
            "巴西总统卢拉周一抵达南非约翰内斯堡，出席金砖国家领导人会晤。"
            "埃菲社报道说，卢拉将与印度总理莫迪和南非总统拉马福萨举行双边会谈。"
            "\n\n阿根廷总统米莱此前表示，阿根廷不会加入金砖机制。"
            "巴西国家石油公司首席执行官在里约热内卢对记者说，公司计划扩大对非洲的投资。"
        ),
        "entities": [
            ("LOC", ["巴西"]),
            ("PER", ["卢拉"]),
            ("LOC", ["南非"]),
            ("LOC", ["约翰内斯堡"]),
            ("ORG", ["金砖国家", "金砖"]),
            ("ORG", ["埃菲社"]),
            ("LOC", ["印度"]),
            ("PER", ["莫迪"]),
            ("PER", ["拉马福萨"]),
            ("LOC", ["阿根廷"]),
            ("PER", ["米莱"]),
            ("ORG", ["巴西国家石油公司"]),
            ("LOC", ["里约热内卢"]),
            ("LOC", ["非洲"]),
        ],
        "optional": [],
        "ignore": [],
        "cited": ["埃菲社"],
    },
    {
        "id": "h2-zh-domestic",
        "language": "zh",
        "title": "广东暴雨致多地内涝",
        "body": (
            "中央气象台周三继续发布暴雨橙色预警。广东省应急管理厅表示，"
            "广州、佛山和清远等地出现严重内涝，已紧急转移两万余人。"
            "\n\n国家防汛抗旱总指挥部派出工作组赶赴珠江三角洲指导救灾。"
            "中新社记者在清远市英德看到，北江水位已超过警戒线。"
            "香港天文台也发出黑色暴雨警告信号。"
        ),
        "entities": [
            ("ORG", ["中央气象台"]),
            ("ORG", ["广东省应急管理厅"]),
            ("LOC", ["广东", "广东省"]),
            ("LOC", ["广州"]),
            ("LOC", ["佛山"]),
            ("LOC", ["清远", "清远市"]),
            ("ORG", ["国家防汛抗旱总指挥部"]),
            ("LOC", ["珠江三角洲"]),
            ("ORG", ["中新社"]),
            ("LOC", ["英德"]),
            ("LOC", ["北江"]),
            ("ORG", ["香港天文台"]),
        ],
        "optional": [("LOC", ["香港"])],
        "ignore": [],
        "cited": [],
    },
    {
        "id": "h2-zh-iran",
        "language": "zh",
        "title": "伊朗核谈判在阿曼重启",
        "body": (
            "伊朗外长阿拉格齐周六抵达马斯喀特，与美国中东问题特使威特科夫举行间接会谈。"
            "伊通社援引伊朗外交部发言人巴加伊的话说，谈判“建设性但艰难”。"
            "\n\n国际原子能机构总干事格罗西此前警告，伊朗的浓缩铀库存持续增加。"
            "以色列总理内塔尼亚胡在耶路撒冷表示，以色列不会允许德黑兰拥有核武器。"
        ),
        "entities": [
            ("LOC", ["伊朗"]),
            ("PER", ["阿拉格齐"]),
            ("LOC", ["马斯喀特"]),
            ("LOC", ["美国"]),
            ("LOC", ["中东"]),
            ("PER", ["威特科夫"]),
            ("ORG", ["伊通社"]),
            ("ORG", ["伊朗外交部", "外交部"]),
            ("PER", ["巴加伊"]),
            ("ORG", ["国际原子能机构"]),
            ("PER", ["格罗西"]),
            ("LOC", ["以色列"]),
            ("PER", ["内塔尼亚胡"]),
            ("LOC", ["耶路撒冷"]),
            ("LOC", ["德黑兰"]),
        ],
        "optional": [("LOC", ["阿曼"])],
        "ignore": [],
        "cited": ["伊通社"],
    },
    {
        "id": "h2-zh-hant-hk",
        "language": "zh-Hant",
        "title": "香港特首出席亞洲金融論壇",
        "body": (
            "香港特首李家超週一在灣仔會議展覽中心出席亞洲金融論壇並致辭。"
            "據明報報道，李家超表示香港將繼續擔當連接內地與世界的橋樑。"
            "\n\n香港金融管理局總裁余偉文在論壇上說，金管局將推出新措施吸引國際資金。"
            "新加坡和杜拜的代表亦有出席。"
        ),
        "entities": [
            ("LOC", ["香港"]),
            ("PER", ["李家超"]),
            ("LOC", ["灣仔", "湾仔"]),
            ("LOC|ORG", ["會議展覽中心", "灣仔會議展覽中心"]),
            ("ORG", ["明報", "明报"]),
            ("ORG", ["香港金融管理局", "金管局"]),
            ("PER", ["余偉文", "余伟文"]),
            ("LOC", ["新加坡"]),
            ("LOC", ["杜拜", "迪拜"]),
        ],
        "optional": [("LOC", ["內地", "内地"]), ("ORG", ["亞洲金融論壇"])],
        "ignore": [],
        "cited": ["明報"],
    },
    {
        "id": "h2-en-tech",
        "language": "en",
        "title": "Chipmakers rally after export rule delay",
        "body": (
            "SAN FRANCISCO, March 3 (Reuters) - Shares of Nvidia and Advanced Micro Devices "
            "rose on Tuesday after the Commerce Department delayed new export restrictions on "
            "artificial intelligence chips, according to people familiar with the matter.\n\n"
            "Nvidia Chief Executive Jensen Huang said in Taipei last week that demand from "
            "China remained strong. Taiwan Semiconductor Manufacturing Co, the world's largest "
            "contract chipmaker, is due to report earnings on Thursday.\n\n"
            "Analysts at Morgan Stanley said the delay gave companies time to adjust, the "
            "Financial Times reported."
        ),
        "publisher": "https://www.reuters.com/technology/x",
        "entities": [
            ("LOC", ["San Francisco", "SAN FRANCISCO"]),
            ("ORG", ["Nvidia"]),
            ("ORG", ["Advanced Micro Devices", "AMD"]),
            ("ORG", ["Commerce Department", "Department of Commerce"]),
            ("PER", ["Jensen Huang", "Huang"]),
            ("LOC", ["Taipei"]),
            ("LOC", ["China"]),
            ("ORG", ["Taiwan Semiconductor Manufacturing Co", "TSMC"]),
            ("ORG", ["Morgan Stanley"]),
            ("ORG", ["Financial Times"]),
        ],
        "optional": [("ORG", ["Reuters"])],
        "ignore": [],
        "cited": ["Financial Times"],
    },
    {
        "id": "h2-en-climate",
        "language": "en",
        "title": "Floods displace thousands in Pakistan",
        "body": (
            "ISLAMABAD (AP) — Heavy monsoon rains triggered floods across Pakistan's Punjab "
            "province, forcing thousands of people from their homes, officials said Sunday.\n\n"
            "The National Disaster Management Authority said at least 40 people had died since "
            "late June. Prime Minister Shehbaz Sharif visited flood-hit areas near Lahore and "
            "promised compensation.\n\n"
            "The World Health Organization warned of cholera outbreaks, while the Red Crescent "
            "sent teams to the Indus River basin. Neighboring India also reported heavy rain "
            "in Kashmir, the Press Trust of India said."
        ),
        "publisher": "https://apnews.com/article/y",
        "entities": [
            ("LOC", ["Islamabad", "ISLAMABAD"]),
            ("LOC", ["Pakistan"]),
            ("LOC", ["Punjab", "Punjab province"]),
            ("ORG", ["National Disaster Management Authority"]),
            ("PER", ["Shehbaz Sharif", "Sharif"]),
            ("LOC", ["Lahore"]),
            ("ORG", ["World Health Organization", "WHO"]),
            ("ORG", ["Red Crescent"]),
            ("LOC", ["Indus River", "Indus River basin", "Indus"]),
            ("LOC", ["India"]),
            ("LOC", ["Kashmir"]),
            ("ORG", ["Press Trust of India", "PTI"]),
        ],
        "optional": [("ORG", ["AP", "Associated Press"])],
        "ignore": [],
        "cited": ["Press Trust of India"],
    },
    {
        "id": "h2-en-politics",
        "language": "en",
        "title": "UK prime minister faces rebellion over welfare bill",
        "body": (
            "LONDON — British Prime Minister Keir Starmer faced a rebellion from dozens of "
            "Labour lawmakers on Tuesday over planned cuts to disability benefits, the BBC "
            "reported.\n\nWork and Pensions Secretary Liz Kendall told Parliament the reforms "
            "were necessary. Conservative leader Kemi Badenoch accused the government of chaos, "
            "while Reform UK leader Nigel Farage said voters in Scotland and Wales would punish "
            "the party.\n\nThe Institute for Fiscal Studies said the changes would save about "
            "5 billion pounds a year."
        ),
        "entities": [
            ("LOC", ["London", "LONDON"]),
            ("PER", ["Keir Starmer", "Starmer"]),
            ("ORG", ["Labour", "Labour Party"]),
            ("ORG", ["BBC"]),
            ("PER", ["Liz Kendall", "Kendall"]),
            ("ORG", ["Parliament"]),
            ("PER", ["Kemi Badenoch", "Badenoch"]),
            ("ORG", ["Reform UK"]),
            ("PER", ["Nigel Farage", "Farage"]),
            ("LOC", ["Scotland"]),
            ("LOC", ["Wales"]),
            ("ORG", ["Institute for Fiscal Studies"]),
        ],
        # the headline's "UK prime minister" names the country too
        "optional": [
            ("ORG", ["Conservative", "Conservative Party"]),
            ("LOC", ["United Kingdom", "UK"]),
        ],
        "ignore": ["British"],
        "cited": ["BBC"],
    },
    {
        "id": "h2-fr-afrique",
        "language": "fr",
        "title": "Le Mali annonce la fin de l'accord de défense avec la France",
        "body": (
            "La junte au pouvoir à Bamako a annoncé lundi la fin de la coopération militaire "
            "avec Paris, a rapporté Reuters. Le colonel Assimi Goïta a justifié cette décision "
            "par des « violations répétées » de la souveraineté du Mali.\n\n"
            "Le ministère français des Armées a pris acte de l'annonce. À Abidjan, le président "
            "ivoirien Alassane Ouattara a appelé la Communauté économique des États de "
            "l'Afrique de l'Ouest à rester unie, selon l'agence Anadolu."
        ),
        "entities": [
            ("LOC", ["Bamako"]),
            ("LOC", ["Paris"]),
            ("ORG", ["Reuters"]),
            ("PER", ["Assimi Goïta", "Goïta"]),
            ("LOC", ["Mali"]),
            ("ORG", ["ministère français des Armées", "ministère des Armées"]),
            ("LOC", ["Abidjan"]),
            ("PER", ["Alassane Ouattara", "Ouattara"]),
            ("ORG", ["Communauté économique des États de l'Afrique de l'Ouest", "Cedeao"]),
            ("ORG", ["Anadolu", "Anadolu Agency"]),
        ],
        "optional": [("LOC", ["France"])],
        "ignore": [],
        "cited": ["Reuters", "Anadolu Agency"],
    },
]


@pytest.mark.parametrize(("prefix", "minimum"), [("zh", 0.80), ("en", 0.75), ("fr", 0.5)])
def test_heldout2_f1(prefix: str, minimum: float) -> None:
    items = [i for i in HELDOUT2 if i["language"].startswith(prefix)]
    f1, errors = _f1(items)
    assert f1 >= minimum, f"{prefix} held-out-2 F1 {f1:.3f} < {minimum}: {errors}"
