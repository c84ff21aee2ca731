"""Third held-out set, written last and never used to change the rules: bench/entities.py
reports it separately as the unbiased estimate. Same format as test_enricher_heldout.py."""

from __future__ import annotations

import pytest

from tests.test_enricher_heldout import _f1

HELDOUT3: list[dict] = [
    {
        "id": "h3-zh-sport",
        "language": "zh",
        "title": "中国女排3比1击败巴西",
        "body": (
            "在土耳其安卡拉举行的世界女排联赛中，中国队周日以3比1战胜巴西队。"
            "主攻手朱婷赛后接受中央电视台采访时说，全队在关键分上发挥稳定。"
            "\n\n国际排联表示，总决赛将于七月在波兰罗兹举行。"
            "据新华社报道，主教练蔡斌已经开始为下一轮比赛调整阵容。"
        ),
        "entities": [
            ("LOC", ["中国"]),
            ("LOC", ["巴西"]),
            ("LOC", ["土耳其"]),
            ("LOC", ["安卡拉"]),
            ("ORG", ["中国队", "中国女排"]),
            ("ORG", ["巴西队"]),
            ("PER", ["朱婷"]),
            ("ORG", ["中央电视台", "央视"]),
            ("ORG", ["国际排联"]),
            ("LOC", ["波兰"]),
            ("LOC", ["罗兹"]),
            ("ORG", ["新华社"]),
            ("PER", ["蔡斌"]),
        ],
        "optional": [("ORG", ["世界女排联赛"])],
        "ignore": [],
        "cited": ["新华社"],
    },
    {
        "id": "h3-zh-space",
        "language": "zh",
        "title": "神舟飞船成功发射",
        "body": (
            "中国载人航天工程办公室宣布，神舟二十号载人飞船周四在酒泉卫星发射中心发射升空。"
            "三名航天员将在天宫空间站驻留约六个月。"
            "\n\n美国国家航空航天局局长在华盛顿表示，愿意在特定领域与中方保持沟通。"
            "欧洲航天局则计划明年与日本宇宙航空研究开发机构联合发射探测器。"
        ),
        "entities": [
            ("ORG", ["中国载人航天工程办公室"]),
            ("LOC|ORG", ["酒泉卫星发射中心"]),
            ("LOC", ["天宫空间站", "天宫"]),
            ("ORG", ["美国国家航空航天局", "国家航空航天局"]),
            ("LOC", ["华盛顿"]),
            ("ORG", ["欧洲航天局"]),
            ("ORG", ["日本宇宙航空研究开发机构"]),
        ],
        "optional": [("LOC", ["中国"]), ("LOC", ["美国"]), ("LOC", ["日本"])],
        "ignore": ["中方", "神舟二十号"],
        "cited": [],
    },
    {
        "id": "h3-zh-korea",
        "language": "zh",
        "title": "韩国央行下调基准利率",
        "body": (
            "韩国银行周四宣布将基准利率下调25个基点至2.5%。"
            "韩国银行行长李昌镛在首尔举行的记者会上说，出口放缓和房地产市场疲软是主要考虑。"
            "\n\n韩联社报道说，三星电子和现代汽车的股价在消息公布后上涨。"
            "美国财政部长贝森特本周将访问东京，与日本财务大臣会晤。"
        ),
        "entities": [
            ("ORG", ["韩国银行", "韩国央行"]),
            ("PER", ["李昌镛"]),
            ("LOC", ["首尔"]),
            ("ORG", ["韩联社"]),
            ("ORG", ["三星电子", "三星"]),
            ("ORG", ["现代汽车"]),
            ("PER", ["贝森特"]),
            ("LOC", ["东京"]),
            ("LOC", ["日本"]),
        ],
        # 财政部长 is a title: its body is optional (seed guidelines: 外交部长 -> 外交部)
        "optional": [
            ("LOC", ["韩国"]),
            ("LOC", ["美国"]),
            ("ORG", ["日本财务省"]),
            ("ORG", ["美国财政部", "财政部"]),
        ],
        "ignore": [],
        "cited": ["韩联社"],
    },
    {
        "id": "h3-zh-hant-tw",
        "language": "zh-Hant",
        "title": "立法院三讀通過國防特別條例",
        "body": (
            "立法院週二三讀通過國防特別預算條例。行政院長卓榮泰表示，政府將加快採購美國製造的"
            "海馬士火箭系統。據自由時報報導，國防部長顧立雄在高雄視察了海軍左營基地。"
            "\n\n民進黨與國民黨立委在表決前爆發激烈爭論。中國國台辦發言人在北京批評此舉。"
        ),
        "entities": [
            ("ORG", ["立法院"]),
            ("ORG", ["行政院"]),
            ("PER", ["卓榮泰", "卓荣泰"]),
            ("LOC", ["美國", "美国"]),
            ("ORG", ["自由時報", "自由时报"]),
            ("PER", ["顧立雄", "顾立雄"]),
            ("LOC", ["高雄"]),
            ("LOC|ORG", ["左營基地", "海軍左營基地", "左营基地"]),
            ("ORG", ["民進黨", "民进党", "民主進步黨"]),
            ("ORG", ["國民黨", "国民党", "中國國民黨"]),
            ("ORG", ["國台辦", "国台办", "國務院台灣事務辦公室", "中國國台辦"]),
            ("LOC", ["北京"]),
        ],
        "optional": [("LOC", ["中國", "中国"]), ("ORG", ["海軍"]), ("ORG", ["國防部", "国防部"])],
        "ignore": ["政府"],
        "cited": ["自由時報"],
    },
    {
        "id": "h3-en-business",
        "language": "en",
        "title": "Airbus raises delivery target as China orders jets",
        "body": (
            "TOULOUSE, France (Reuters) - Airbus raised its full-year delivery target on "
            "Wednesday after China Eastern Airlines and Air China ordered 80 A320neo jets, "
            "Chief Executive Guillaume Faury told analysts.\n\n"
            "Rival Boeing is still struggling with production problems at its plant in Renton, "
            "Washington, the Wall Street Journal reported. The Federal Aviation Administration "
            "has capped Boeing's output since January.\n\n"
            "Shares of Airbus rose 3% in Paris, while Safran gained 2%."
        ),
        "publisher": "https://www.reuters.com/business/x",
        "entities": [
            ("LOC", ["Toulouse", "TOULOUSE"]),
            ("LOC", ["France"]),
            ("ORG", ["Airbus"]),
            ("ORG", ["China Eastern Airlines"]),
            ("ORG", ["Air China"]),
            ("PER", ["Guillaume Faury", "Faury"]),
            ("ORG", ["Boeing"]),
            ("LOC", ["Renton"]),
            ("LOC", ["Washington"]),
            ("ORG", ["Wall Street Journal", "The Wall Street Journal"]),
            ("ORG", ["Federal Aviation Administration", "FAA"]),
            ("LOC", ["Paris"]),
            ("ORG", ["Safran"]),
        ],
        "optional": [("ORG", ["Reuters"]), ("LOC", ["China"])],
        "ignore": [],
        "cited": ["The Wall Street Journal"],
    },
    {
        "id": "h3-en-world",
        "language": "en",
        "title": "Philippines protests Chinese coast guard water cannon use",
        "body": (
            "MANILA - The Philippines lodged a diplomatic protest on Sunday after a Chinese "
            "coast guard ship fired a water cannon at a Philippine vessel near Scarborough "
            "Shoal, the National Maritime Council said.\n\n"
            "President Ferdinand Marcos Jr. said Manila would not be intimidated. The U.S. State "
            "Department called the incident dangerous, and Japan's Foreign Minister Takeshi Iwaya "
            "voiced concern, Kyodo News reported.\n\n"
            "A spokesperson for China's coast guard, Liu Dejun, said the vessel had entered "
            "Chinese waters illegally."
        ),
        "entities": [
            ("LOC", ["Manila", "MANILA"]),
            ("LOC", ["Philippines"]),
            ("LOC", ["Scarborough Shoal"]),
            ("ORG", ["National Maritime Council"]),
            ("PER", ["Ferdinand Marcos Jr.", "Ferdinand Marcos Jr", "Marcos", "Ferdinand Marcos"]),
            ("ORG", ["U.S. State Department", "State Department", "US State Department"]),
            ("LOC", ["Japan"]),
            ("PER", ["Takeshi Iwaya", "Iwaya"]),
            ("ORG", ["Kyodo News", "Kyodo"]),
            ("LOC", ["China"]),
            ("PER", ["Liu Dejun"]),
        ],
        "optional": [
            ("ORG", ["China's coast guard", "coast guard"]),
            ("LOC", ["U.S.", "United States"]),
        ],
        "ignore": ["Chinese", "Philippine"],
        "cited": ["Kyodo News"],
    },
    {
        "id": "h3-fr-eco",
        "language": "fr",
        "title": "La BCE maintient ses taux directeurs",
        "body": (
            "La Banque centrale européenne a maintenu jeudi ses taux directeurs inchangés, a "
            "annoncé sa présidente Christine Lagarde lors d'une conférence de presse à "
            "Francfort.\n\n"
            "Le gouverneur de la Banque de France, François Villeroy de Galhau, a estimé que "
            "l'inflation restait sous contrôle, selon Les Echos. À Berlin, le ministre des "
            "Finances Lars Klingbeil a salué cette décision."
        ),
        "entities": [
            ("ORG", ["Banque centrale européenne", "BCE", "European Central Bank"]),
            ("PER", ["Christine Lagarde", "Lagarde"]),
            ("LOC", ["Francfort"]),
            ("ORG", ["Banque de France"]),
            ("PER", ["François Villeroy de Galhau", "Villeroy de Galhau"]),
            ("ORG", ["Les Echos"]),
            ("LOC", ["Berlin"]),
            ("PER", ["Lars Klingbeil", "Klingbeil"]),
        ],
        "optional": [],
        "ignore": [],
        "cited": ["Les Echos"],
    },
]


@pytest.mark.parametrize(("prefix", "minimum"), [("zh", 0.75), ("en", 0.75), ("fr", 0.5)])
def test_heldout3_f1(prefix: str, minimum: float) -> None:
    items = [i for i in HELDOUT3 if i["language"].startswith(prefix)]
    f1, errors = _f1(items)
    assert f1 >= minimum, f"{prefix} held-out-3 F1 {f1:.3f} < {minimum}: {errors}"
