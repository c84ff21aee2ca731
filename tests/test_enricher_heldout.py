"""Held-out check: news paragraphs written for this repo (not from the seed articles).

Each item lists the entities a careful annotator would mark, as (type, [aliases...]) following
the seed guidelines (/work/shared/ner-gold/README.md), plus the cited agencies. The tests
assert a minimum F1 per language so a regression on unseen text fails; bench/entities.py prints
the full table for these too.
"""

from __future__ import annotations

import pytest

from services.enricher import enrich

HELDOUT: list[dict] = [
    {
        "id": "zh-econ",
        "language": "zh",
        "title": "德国总理默茨访华 与李强会谈经贸合作",
        "body": (
            "据新华社报道，德国总理弗里德里希·默茨周二抵达北京，开始为期两天的正式访问。"
            "中国国务院总理李强在人民大会堂与默茨举行会谈，双方讨论了电动汽车关税和供应链问题。"
            "\n\n随行的德国企业代表团包括大众汽车公司和西门子的高管。德国之声指出，"
            "欧盟委员会去年对中国产电动汽车加征反补贴税，令柏林与布鲁塞尔之间出现分歧。"
            "默茨在上海会见了德国商会代表后表示，德国不寻求与中国“脱钩”。"
        ),
        "entities": [
            ("PER", ["默茨", "弗里德里希·默茨"]),
            ("PER", ["李强"]),
            ("LOC", ["德国"]),
            ("LOC", ["中国"]),
            ("LOC", ["北京"]),
            ("LOC", ["柏林"]),
            ("LOC", ["布鲁塞尔"]),
            ("LOC", ["上海"]),
            ("LOC", ["人民大会堂"]),
            ("ORG", ["新华社"]),
            ("ORG", ["中国国务院", "国务院"]),
            ("ORG", ["大众汽车公司", "大众汽车"]),
            ("ORG", ["西门子"]),
            ("ORG", ["德国之声"]),
            ("ORG", ["欧盟委员会"]),
        ],
        "optional": [("ORG", ["德国商会"]), ("ORG", ["欧盟"])],
        "ignore": ["中", "德"],
        "cited": ["新华社", "德国之声"],
    },
    {
        "id": "zh-mideast",
        "language": "zh",
        "title": "以色列空袭加沙南部 联合国呼吁立即停火",
        "body": (
            "路透社援引加沙卫生部门的消息称，以色列军队周日凌晨空袭了加沙地带南部城市汗尤尼斯，"
            "造成至少二十人死亡。以色列国防军发言人表示，行动针对的是哈马斯武装人员。"
            "\n\n联合国秘书长古特雷斯在纽约发表声明，呼吁各方立即停火并允许人道主义物资进入。"
            "卡塔尔和埃及的调解人员正在多哈举行新一轮谈判。据半岛电视台报道，"
            "美国国务卿鲁比奥预计下周前往特拉维夫和开罗。"
        ),
        "entities": [
            ("LOC", ["以色列"]),
            ("LOC", ["加沙地带", "加沙"]),
            ("LOC", ["汗尤尼斯"]),
            ("LOC", ["纽约"]),
            ("LOC", ["卡塔尔"]),
            ("LOC", ["埃及"]),
            ("LOC", ["多哈"]),
            ("LOC", ["美国"]),
            ("LOC", ["特拉维夫"]),
            ("LOC", ["开罗"]),
            ("PER", ["古特雷斯"]),
            ("PER", ["鲁比奥"]),
            ("ORG", ["路透社"]),
            ("ORG", ["以色列国防军"]),
            ("ORG", ["哈马斯"]),
            ("ORG", ["联合国"]),
            ("ORG", ["半岛电视台"]),
        ],
        "optional": [
            ("ORG", ["加沙卫生部门", "卫生部门"]),
            ("ORG", ["以色列军队"]),
            ("ORG", ["美国国务院", "国务院"]),
        ],
        "ignore": ["南部"],
        "cited": ["路透社", "半岛电视台"],
    },
    {
        "id": "zh-tech",
        "language": "zh",
        "title": "华为发布新款芯片 美国商务部称将评估出口管制",
        "body": (
            "华为周四在深圳发布了新一代昇腾人工智能芯片。彭博社报道称，"
            "美国商务部正在评估这款芯片是否违反了出口管制规定。"
            "\n\n台积电董事长魏哲家上月在台北表示，公司严格遵守相关法规。"
            "分析人士指出，英伟达和超威半导体在中国市场的份额可能进一步下降。"
            "日本经济新闻则报道，东京电子和佳能也在重新审视对华业务。"
        ),
        "entities": [
            ("ORG", ["华为"]),
            ("LOC", ["深圳"]),
            ("ORG", ["彭博社"]),
            ("ORG", ["美国商务部", "商务部"]),
            ("ORG", ["台积电"]),
            ("PER", ["魏哲家"]),
            ("LOC", ["台北"]),
            ("ORG", ["英伟达"]),
            ("ORG", ["超威半导体"]),
            ("LOC", ["中国"]),
            ("ORG", ["日本经济新闻", "日经新闻"]),
            ("ORG", ["东京电子"]),
            ("ORG", ["佳能"]),
        ],
        "optional": [("LOC", ["日本"]), ("LOC", ["美国"])],
        "ignore": ["对华", "华"],
        "cited": ["彭博社", "日本经济新闻"],
    },
    {
        "id": "zh-ukraine",
        "language": "zh",
        "title": "泽连斯基：乌克兰需要更多防空系统",
        "body": (
            "乌克兰总统泽连斯基周三在基辅会见了北约秘书长吕特。据法新社报道，"
            "泽连斯基表示，俄罗斯在过去一周向哈尔科夫和敖德萨发射了数百架无人机。"
            "\n\n俄罗斯国防部则称，俄军在顿涅茨克地区又控制了两个村庄。"
            "克里姆林宫发言人德米特里·佩斯科夫对塔斯社说，莫斯科愿意在伊斯坦布尔恢复谈判。"
            "波兰外长拉多斯瓦夫·西科尔斯基在华沙警告说，欧洲必须加快提高国防开支。"
        ),
        "entities": [
            ("LOC", ["乌克兰"]),
            ("PER", ["泽连斯基"]),
            ("LOC", ["基辅"]),
            ("ORG", ["北约"]),
            ("PER", ["吕特"]),
            ("ORG", ["法新社"]),
            ("LOC", ["俄罗斯"]),
            ("LOC", ["哈尔科夫"]),
            ("LOC", ["敖德萨"]),
            ("ORG", ["俄罗斯国防部", "国防部"]),
            ("LOC", ["顿涅茨克"]),
            ("ORG", ["克里姆林宫", "克宫"]),
            ("PER", ["佩斯科夫", "德米特里·佩斯科夫"]),
            ("ORG", ["塔斯社"]),
            ("LOC", ["莫斯科"]),
            ("LOC", ["伊斯坦布尔"]),
            ("LOC", ["波兰"]),
            ("PER", ["西科尔斯基", "拉多斯瓦夫·西科尔斯基"]),
            ("LOC", ["华沙"]),
            ("LOC", ["欧洲"]),
        ],
        "optional": [("ORG", ["俄军"]), ("LOC", ["顿涅茨克地区"])],
        "ignore": ["俄"],
        "cited": ["法新社", "塔斯社"],
    },
    {
        "id": "zh-japan",
        "language": "zh",
        "title": "日本首相与韩国总统会晤 讨论朝鲜导弹问题",
        "body": (
            "日本首相石破茂与韩国总统李在明周六在首尔青瓦台举行会谈。共同社报道说，"
            "两国领导人同意在朝鲜导弹问题上加强情报共享，并与美国保持密切协调。"
            "\n\n韩联社援引韩国总统府官员的话说，双方还讨论了福岛核污染水排放问题。"
            "日本外务省随后发表声明，欢迎会谈取得的成果。"
            "朝中社周日发表评论，批评美日韩三方军事合作。"
        ),
        "entities": [
            ("LOC", ["日本"]),
            ("PER", ["石破茂"]),
            ("LOC", ["韩国"]),
            ("PER", ["李在明"]),
            ("LOC", ["首尔"]),
            ("ORG", ["青瓦台"]),
            ("ORG", ["共同社"]),
            ("LOC", ["朝鲜"]),
            ("LOC", ["美国"]),
            ("ORG", ["韩联社"]),
            ("ORG", ["韩国总统府", "总统府"]),
            ("LOC", ["福岛"]),
            ("ORG", ["日本外务省", "外务省"]),
            ("ORG", ["朝中社"]),
        ],
        "optional": [],
        "ignore": ["美日韩", "美", "日", "韩"],
        "cited": ["共同社", "韩联社"],
    },
    {
        "id": "zh-hant-taiwan",
        "language": "zh-Hant",
        "title": "賴清德出訪友邦 北京批評",
        "body": (
            "據中央社報導，台灣總統賴清德週一啟程前往巴拉圭訪問，途中將過境美國夏威夷。"
            "中國外交部發言人在北京表示，堅決反對任何形式的「過境」安排。"
            "\n\n國民黨主席在台北召開記者會，呼籲政府避免升高兩岸緊張。"
            "美國國務院則表示，過境安排符合慣例。"
        ),
        "entities": [
            ("ORG", ["中央社"]),
            ("LOC", ["台灣", "台湾"]),
            ("PER", ["賴清德", "赖清德"]),
            ("LOC", ["巴拉圭"]),
            ("LOC", ["美國", "美国"]),
            ("LOC", ["夏威夷"]),
            ("ORG", ["中國外交部", "中国外交部", "外交部"]),
            ("LOC", ["北京"]),
            ("ORG", ["國民黨", "国民党", "中國國民黨", "中国国民党"]),
            ("LOC", ["台北"]),
            ("ORG", ["美國國務院", "美国国务院", "國務院"]),
        ],
        "optional": [("LOC", ["中國", "中国"])],
        "ignore": ["兩岸", "政府"],
        "cited": ["中央社"],
    },
    {
        "id": "en-ukraine",
        "language": "en",
        "publisher": "https://www.reuters.com/world/europe/x",
        "title": "Ukraine says Russian drones hit Kharkiv power station",
        "body": (
            "KYIV, May 12 (Reuters) - Russian drones struck a power station in the northeastern "
            "city of Kharkiv overnight, Ukrainian officials said on Monday, as President "
            "Volodymyr Zelenskiy urged Western allies to speed up deliveries of air defence "
            "systems.\n\nKharkiv Governor Oleh Syniehubov said three people were injured. "
            "Russia's Defence Ministry said its forces had shot down 40 Ukrainian drones over "
            "the Belgorod and Kursk regions, according to the TASS news agency.\n\n"
            "Kremlin spokesman Dmitry Peskov told reporters in Moscow that Russia remained open "
            "to talks. NATO Secretary General Mark Rutte is due to visit Kyiv next week, "
            "a spokesperson for the alliance told AFP."
        ),
        "entities": [
            ("LOC", ["Ukraine"]),
            ("LOC", ["Kyiv", "KYIV"]),
            ("LOC", ["Kharkiv"]),
            ("PER", ["Volodymyr Zelenskiy", "Zelenskiy", "Zelensky"]),
            ("PER", ["Oleh Syniehubov", "Syniehubov"]),
            ("LOC", ["Russia"]),
            ("ORG", ["Russia's Defence Ministry", "Defence Ministry", "Russian Defence Ministry"]),
            ("LOC", ["Belgorod"]),
            ("LOC", ["Kursk"]),
            ("ORG", ["TASS", "Tass"]),
            ("ORG", ["Kremlin"]),
            ("PER", ["Dmitry Peskov", "Peskov"]),
            ("LOC", ["Moscow"]),
            ("ORG", ["NATO"]),
            ("PER", ["Mark Rutte", "Rutte"]),
            ("ORG", ["AFP"]),
        ],
        "optional": [("ORG", ["Reuters"])],
        "ignore": ["Russian", "Ukrainian", "Western"],
        "cited": ["TASS", "AFP"],
    },
    {
        "id": "en-fed",
        "language": "en",
        "publisher": "https://apnews.com/article/x",
        "title": "Fed holds rates steady as inflation cools",
        "body": (
            "WASHINGTON (AP) — The Federal Reserve kept its benchmark interest rate unchanged on "
            "Wednesday, and Chair Jerome Powell said policymakers wanted more evidence that "
            "inflation was returning to their 2% target.\n\n"
            "Treasury Secretary Scott Bessent told CNBC that the economy remained resilient. "
            "Markets in New York rose after the announcement, while the European Central Bank "
            "in Frankfurt is expected to cut rates next month, Bloomberg reported.\n\n"
            "Economists at Goldman Sachs and JPMorgan Chase said they still expected two cuts "
            "this year. The Labor Department will publish new jobs data on Friday."
        ),
        "entities": [
            ("LOC", ["Washington", "WASHINGTON"]),
            ("ORG", ["AP", "Associated Press"]),
            ("ORG", ["Federal Reserve", "Fed"]),
            ("PER", ["Jerome Powell", "Powell"]),
            ("PER", ["Scott Bessent", "Bessent"]),
            ("ORG", ["CNBC"]),
            ("LOC", ["New York"]),
            ("ORG", ["European Central Bank"]),
            ("LOC", ["Frankfurt"]),
            ("ORG", ["Bloomberg"]),
            ("ORG", ["Goldman Sachs"]),
            ("ORG", ["JPMorgan Chase", "JPMorgan"]),
            ("ORG", ["Labor Department", "Department of Labor"]),
        ],
        "optional": [("ORG", ["Treasury"])],
        "ignore": [],
        "cited": ["CNBC", "Bloomberg"],
    },
    {
        "id": "en-asia",
        "language": "en",
        "title": "North Korea fires ballistic missile, Seoul says",
        "body": (
            "SEOUL - North Korea fired a ballistic missile into the sea off its east coast on "
            "Thursday, South Korea's Joint Chiefs of Staff said, days after leader Kim Jong Un "
            "inspected a weapons factory near Pyongyang.\n\n"
            "Japan's Prime Minister Shigeru Ishiba condemned the launch, and the Japanese coast "
            "guard warned ships in the Sea of Japan. According to Yonhap, the missile flew about "
            "800 kilometres. The United Nations Security Council is expected to discuss the "
            "launch, diplomats said.\n\n"
            "China's foreign ministry spokesperson Lin Jian urged restraint at a regular briefing "
            "in Beijing, Xinhua said."
        ),
        "entities": [
            ("LOC", ["North Korea"]),
            ("LOC", ["South Korea"]),
            ("ORG", ["Joint Chiefs of Staff", "South Korea's Joint Chiefs of Staff"]),
            ("PER", ["Kim Jong Un"]),
            ("LOC", ["Pyongyang"]),
            ("LOC", ["Japan"]),
            ("PER", ["Shigeru Ishiba", "Ishiba"]),
            ("LOC", ["Sea of Japan"]),
            ("ORG", ["Yonhap"]),
            ("ORG", ["United Nations Security Council", "UN Security Council"]),
            ("LOC", ["China"]),
            ("PER", ["Lin Jian"]),
            ("LOC", ["Beijing"]),
            ("ORG", ["Xinhua"]),
            ("LOC", ["Seoul", "SEOUL"]),
        ],
        "optional": [("ORG", ["foreign ministry"])],
        "ignore": ["Japanese"],
        "cited": ["Yonhap", "Xinhua"],
    },
    {
        "id": "en-europe",
        "language": "en",
        "publisher": "https://www.reuters.com/world/europe/y",
        "title": "EU leaders meet in Brussels over defence spending",
        "body": (
            "BRUSSELS, June 26 (Reuters) - European Union leaders gathered in Brussels on Thursday "
            "to discuss a plan by the European Commission to raise defence spending, with "
            "Commission President Ursula von der Leyen calling it a turning point.\n\n"
            "French President Emmanuel Macron and German Chancellor Friedrich Merz backed the "
            "proposal, while Hungarian Prime Minister Viktor Orban said Budapest would not "
            "support new joint borrowing, Politico reported.\n\n"
            "Polish Prime Minister Donald Tusk told reporters in Warsaw that the threat from "
            "Russia was growing. The meeting comes a week after a NATO summit in The Hague."
        ),
        "entities": [
            ("LOC", ["Brussels", "BRUSSELS"]),
            ("ORG", ["European Union", "EU"]),
            ("ORG", ["European Commission", "Commission"]),
            ("PER", ["Ursula von der Leyen", "von der Leyen"]),
            ("PER", ["Emmanuel Macron", "Macron"]),
            ("PER", ["Friedrich Merz", "Merz"]),
            ("PER", ["Viktor Orban", "Orban"]),
            ("LOC", ["Budapest"]),
            ("ORG", ["Politico"]),
            ("PER", ["Donald Tusk", "Tusk"]),
            ("LOC", ["Warsaw"]),
            ("LOC", ["Russia"]),
            ("ORG", ["NATO"]),
            ("LOC", ["The Hague"]),
        ],
        "optional": [("ORG", ["Reuters"])],
        "ignore": ["French", "German", "Hungarian", "Polish"],
        "cited": ["Politico"],
    },
    {
        "id": "fr-politique",
        "language": "fr",
        "title": "Emmanuel Macron reçoit Volodymyr Zelensky à l'Élysée",
        "body": (
            "Le président Emmanuel Macron a reçu mardi son homologue ukrainien Volodymyr "
            "Zelensky à l'Élysée, selon l'AFP. Les deux dirigeants ont évoqué la livraison de "
            "nouveaux systèmes de défense aérienne.\n\n"
            "Le Premier ministre François Bayrou s'est ensuite exprimé devant l'Assemblée "
            "nationale. À Moscou, le Kremlin a dénoncé une « escalade », a rapporté l'agence "
            "Tass. Le ministre des Affaires étrangères Jean-Noël Barrot doit se rendre à "
            "Bruxelles jeudi."
        ),
        "entities": [
            ("PER", ["Emmanuel Macron", "Macron"]),
            ("PER", ["Volodymyr Zelensky", "Zelensky"]),
            ("ORG", ["Élysée", "l'Élysée"]),
            ("ORG", ["AFP"]),
            ("PER", ["François Bayrou", "Bayrou"]),
            ("ORG", ["Assemblée nationale"]),
            ("LOC", ["Moscou"]),
            ("ORG", ["Kremlin"]),
            ("ORG", ["Tass", "TASS"]),
            ("PER", ["Jean-Noël Barrot", "Barrot"]),
            ("LOC", ["Bruxelles"]),
        ],
        "optional": [("ORG", ["ministère des Affaires étrangères"])],
        "ignore": [],
        "cited": ["AFP", "Tass"],
    },
]


def _f1(items: list[dict]) -> tuple[float, list[str]]:
    """Micro F1 over (name, type) sets, scored like bench/entities.py."""

    def norm(s: str) -> str:
        for c in "·-•‧・ ":
            s = s.replace(c, "")
        return s

    tp = fp = fn = 0
    errors: list[str] = []
    for item in items:
        r = enrich(item["title"], item["body"], item["language"], publisher=item.get("publisher"))
        gold = [(t, {norm(a) for a in al}) for t, al in item["entities"]]
        opt = {norm(a) for _, al in item.get("optional", []) for a in al}
        ign = {norm(a) for a in item.get("ignore", [])}
        hit: set[int] = set()
        for e in r.entities:
            n = norm(e.name)
            if n in ign:
                continue
            # a gold type may be "LOC|ORG" (venues, seats of power)
            idx = next(
                (i for i, (t, al) in enumerate(gold) if n in al and e.type in t.split("|")), None
            )
            if idx is None:
                if n not in opt:
                    fp += 1
                    errors.append(f"{item['id']} FP {e.type} {e.name}")
            elif idx not in hit:
                hit.add(idx)
                tp += 1
        for i, (t, al) in enumerate(gold):
            if i not in hit:
                fn += 1
                errors.append(f"{item['id']} FN {t} {sorted(al)[0]}")
    p = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    return (2 * p * rec / (p + rec) if p + rec else 0.0), errors


@pytest.mark.parametrize(
    ("prefix", "minimum"),
    [("zh", 0.85), ("en", 0.80), ("fr", 0.70)],
)
def test_heldout_f1(prefix: str, minimum: float) -> None:
    items = [i for i in HELDOUT if i["language"].startswith(prefix)]
    f1, errors = _f1(items)
    assert f1 >= minimum, f"{prefix} held-out F1 {f1:.3f} < {minimum}: {errors}"


def test_heldout_cited_sources() -> None:
    def norm(s: str) -> str:
        return s.replace(" ", "").lower()

    missing = []
    extra = []
    for item in HELDOUT:
        r = enrich(item["title"], item["body"], item["language"], publisher=item.get("publisher"))
        got = {norm(c.name) for c in r.cited_sources} | {norm(c.name_en) for c in r.cited_sources}
        for want in item["cited"]:
            if norm(want) not in got:
                missing.append((item["id"], want))
        wanted = {norm(w) for w in item["cited"]}
        for c in r.cited_sources:
            if norm(c.name) not in wanted and norm(c.name_en) not in wanted:
                extra.append((item["id"], c.name))
    assert not missing, missing
    assert len(extra) <= 1, extra
