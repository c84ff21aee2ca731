"""Word lists the rules use (general language, not names): titles, organisation suffixes...

Lists are whitespace-separated strings (one entry per word, no entry contains a space).
"""

from __future__ import annotations

import re

# Chinese: bodies that, after a country name, form that country's institution (俄罗斯+外交部)
ZH_GOV_BODIES = tuple(
    """
    外交部 外务省 国防部 防卫省 国务院 国务委员会 国家安全委员会 安全委员会 国会 议会 国家杜马 杜马 最高法院 宪法法院 中央银行 央行 财政部 商务部 司法部 内政部
    国土安全部 能源部 交通部 卫生部 教育部 经济部 国家安全局 情报局 太平洋舰队 黑海舰队 北方舰队 波罗的海舰队 海军 陆军 空军 国民警卫队 总统府 总统办公室 内阁 统计局
    海关 海警 气象厅 劳动党 共产党 国家航天局 航天局 中央选举委员会 选举委员会 联邦调查局 国家情报局 检察院 检察厅 警察厅
    武装部队 国防军 安全部队 特种部队
""".split()
)


# an ORG span ending in one of these is a well-formed organisation name
ZH_ORG_SUFFIX_WORDS = tuple(
    """
    委员会 理事会 议会 大学 研究所 研究院 研究中心 公司 集团 银行 舰队 通讯社 电视台 电台 基金会 协会 法院 组织 联盟 政府
""".split()
)


# trailing words LAC sometimes glues onto a name: 韩联社报(导)
ZH_JUNK_TAIL = tuple(
    """
    报导 报道 报 称 说 指 表示 援引 电
    代表团 官员 人士 发言人
""".split()
)


# honorifics after a name: 普京先生 -> 普京
ZH_HONORIFICS = tuple(
    """
    先生 女士 小姐 夫人 同志 阁下
""".split()
)


# titles before/after a name: 总统普京, 普京总统
ZH_TITLES = tuple(
    """
    总统 总理 首相 主席 国家主席 外长 外相 部长 国务卿 发言人 委员长 领导人 总书记 议长 大使 将军 司令 国王 女王 王储 副总统 副总理 新闻秘书 秘书长 总干事 教授
    博士 记者 特首 行政长官 市长 州长 省长 立委 议员 党员 主委 主任委员 主任 局长 署长 院长 社长 会长
    董事长 总裁 行长 首席执行官 总经理 负责人 大臣 外交大臣
""".split()
)


# LAC tags these as entities, the gold never does (sides, generic words)
ZH_STOP = frozenset(
    """
    世界 东方 东部 两国 中央 中方 中部 俄方 全国 全球 北部 南部 双方 各方 国内 国家 国际 地区 境外 太空 对方 当地 政府 日方 朝方 本台 本国 欧方 海外 美方
    西方 西部 该国 韩方
""".split()
)


# English/French titles: split a capitalised run and mark the next name as a person
EN_TITLES = frozenset(
    """
    Administrator Superintendent
    Lt Col Gen Sgt Capt Maj Cpl Pvt Brig Cmdr Insp Supt Det Ranking Member
    Majority Minority Whip
    Executive Attorney Solicitor Inspector Auditor Commissioner Counsel Surgeon Controller
    Comptroller Treasurer Ombudsman Sheriff Marshal Coach Manager Editor
    Acting Adm. Admiral Ambassador Archbishop Ayatollah Bishop CEO Capt. Captain Chair Chairman
    Chairwoman Chancellor Chief Col. Colonel Commander Conservative Crown Dame Defence Defense
    Democrat Democratic Deputy Director Dr Dr. Emperor Empress Envoy Father Field Finance
    Foreign Former Gen. General Gov. Governor Interior Judge Justice King Labour Lady Leader
    Lieutenant Lord Lt. Major Marshal Mayor Minister Ministers Mr Mr. Mrs Mrs. Ms Ms. Officer
    Opposition Pope Premier President Press Prime Prince Princess Prof. Professor Queen Rep.
    Representative Republican Rev. Secretary Sen. Senator Sgt. Sheikh Sir Speaker Special
    Spokesman Spokesperson Spokeswoman State Supreme Top Vice
""".split()
)


# capitalised words that are not (the start of) names
EN_STOP = frozenset(
    """
    À Au Aux En Le La Les L' D'
    A AI According Additional After Ainsi All Allah Alors Also Although An Analysis Analysts
    And Another Août April Après As Asked At Aug. August Avant Avec Avril Before Both Breaking
    But By CEO COVID Ce Cependant Cette Christmas Covid Dans De Dec. December Depuis Des
    Despite Dimanche Du During Décembre Each Earlier Easter Editing Elle Elles Enfin Et Every
    Exclusive Experts Feb. February File For Friday From Février GDP God He Her Here His How
    However I If Il Ils In Internet It Its Jan. January Janvier Jeudi Juillet Juin July June
    La Last Later Le Les Live Lors Lundi M. Mai Mais Many March Mardi Mars May Meanwhile
    Mercredi Mme Monday More Most Mr Mrs Ms My News Next No Not Nous Nov. November Novembre
    Now OK Oct. October Octobre Of Officials Oh Olympics On One Opinion Or Other Ou Our Par
    Pendant Photo Pour Ramadan Read Related Reporting Samedi Saturday Selon Sept. September
    Septembre Several She Since So Some Sources Speaking Still Such Sunday Sur TV That The
    Their Then There These They This Those Though Three Thursday To Today Tomorrow Tonight
    Toutefois Tuesday Two Un Under Une Update Vendredi Video Vous Watch We Wednesday What When
    Where Which While Who Why With Writing Yes Yesterday Yet You
""".split()
)


# adjectives of nationality etc.: not entities themselves, they split a run
EN_DEMONYMS = frozenset(
    """
    Afghan African American Américain Américaine Arab Asian Australian Belarusian Belgian
    Brazilian British Canadian Catholic Chinese Chinois Chinoise Christian Communist Czech
    Danish Dutch Eastern Egyptian Emirati Ethiopian European Filipino Finnish Français
    Française French Georgian German Greek Hamas-run Hungarian Indian Indonesian Iranian Iraqi
    Islamic Israeli Israeli- Italian Japanese Jewish Jordanian Kenyan Korean Kremlin-backed
    Lebanese Libyan Malaysian Mexican Muslim Nigerian North Norwegian Pakistani Palestinian
    Polish Qatari Romanian Russe Russian Saudi Serbian Shia Shiite South Soviet Spanish
    Sudanese Sunni Swedish Swiss Syrian Taiwanese Thai Turkish Ukrainian Vietnamese Western
    Yemeni
""".split()
)


# a capitalised run ending in one of these is an organisation
EN_ORG_SUFFIX = frozenset(
    """
    Staff Chiefs Academy Agence Agency Airlines Airways Alliance Army Assembly Assemblée Association
    Authority Bank Banque Board Brigade Brigades Bureau Cabinet Center Centre Club Co. College
    Command Commission Committee Company Congress Conseil Corp Corp. Corporation Corps Council
    Cour Court Daily Department Federation Fleet Force Forces Foundation Front Fund Group
    Guard Herald Holdings Inc Inc. Industries Institute Journal League Ltd Ltd. Ministry
    Ministère Motors Movement Navy Network News Office Organisation Organization Parliament
    Parti Party Police Post Radio School Secretariat Senate Service Services Team Television
    Times Tribunal Tribune Union University Université
""".split()
)


# ... or starting with one of these followed by 'of'
EN_ORG_HEAD = frozenset(
    """
    Academy Agence Agency Assemblée Association Bank Banque Board Bureau Commission Committee
    Conseil Council Cour Court Department Federation Institute Ministry Ministère Office
    Organization Parti Party Union University Université
""".split()
)


# lower-case words allowed inside a name
EN_CONNECTORS = frozenset(
    """
    & al and bin d' da de den der des di do dos du el for la le of van von
""".split()
)


# words after a person's name
EN_PER_CUES_AFTER = frozenset(
    """
    a a-t-elle a-t-il added affirme announced argued declared dit déclare estime explained
    insisted noted said says stated told tweeted warned who wrote
""".split()
)


# one-character ORG suffixes (克里姆林 + 宫): a strong suffix makes a longer ORG win over
# the names inside it; 行/所 are left out (北京行, 俄罗斯所提供)
ZH_ORG_SUFFIX_CHARS = frozenset("省部院局署会社党军委团校队台馆厅处盟宫")
ZH_EXTEND_CHARS = frozenset("宫省院局署厅")


# characters of one-character country abbreviations: 朝俄, 韩美日 are not entities
ZH_ABBREV_CHARS = frozenset("中美俄朝韩日英法德印欧苏台港澳越泰伊以乌巴意加澳菲蒙")
# one-character abbreviations that name one place only (中美关系: 中 -> 中国): a model name of
# one character is a mention of that place; other one-character names are dropped
ZH_ONE_CHAR_PLACE = {
    "中": "中国", "美": "美国", "俄": "俄罗斯", "朝": "朝鲜", "韩": "韩国", "日": "日本",
    "英": "英国", "法": "法国", "德": "德国", "印": "印度", "欧": "欧洲", "苏": "苏联",
    "台": "台湾", "港": "香港", "越": "越南", "泰": "泰国", "乌": "乌克兰", "意": "意大利",
    "菲": "菲律宾", "蒙": "蒙古", "非": "非洲", "亚": "亚洲", "埃": "埃及", "叙": "叙利亚",
    "荷": "荷兰", "葡": "葡萄牙", "沪": "上海", "京": "北京", "津": "天津", "渝": "重庆",
}  # fmt: skip


# a place + one of these is a named facility (LOC): 东方航天发射场, 金粟山政府官邸
ZH_FACILITY_SUFFIX = tuple(
    """
    航天发射场 发射场 航天基地 海军基地 空军基地 基地 国际机场 机场 核电站 核电厂 港口 军港 大桥 广场
    大坝 体育场 火车站 官邸 核设施 边境口岸 口岸
    """.split()
)


# direction words cut off a model LOC (加沙南部 -> 加沙); 地区 stays (远东地区 is a name)
ZH_DIRECTIONS = tuple(
    """
    东北部 西北部 东南部 西南部 南部 北部 东部 西部 中部 境内 全境 以南 以北 以东 以西 附近 一带
    """.split()
)
# one-character place suffixes: a 2-character name + one of these is a longer place name
ZH_PLACE_SUFFIX_CHARS = frozenset("市省州县区岛湾河山湖港城镇村乡")
# an ORG name split by the model before its industry word: 超威 + 半导体
ZH_COMPANY_WORDS = frozenset(
    """
    半导体 电子 汽车 科技 集团 公司 银行 航空 石油 能源 电信 通信 制药 控股 证券 保险 电力
    重工 钢铁 化工 传媒 影业 动力 电气 物流 地产 置地 资本 基金
    """.split()
)
# English words that make a capitalised run a place: Sea of Japan, Gaza Strip, Mount Fuji
EN_LOC_WORDS = frozenset(
    """
    Sea Ocean Gulf Strait Straits River Lake Mount Mountains Island Islands Bay Peninsula Desert
    Valley Canal Square Province Region County Oblast Prefecture Coast Plateau Heights Basin
    Cape Mer Golfe Détroit Mont Île Îles Lac Fleuve Région
        Falls Springs Beach Hills
    """.split()
)


# words that make a capitalised run an organisation wherever they stand in it
EN_ORG_WORDS = (
    EN_ORG_SUFFIX
    | EN_ORG_HEAD
    | frozenset(
        """
    Devices Systems Technologies Technology Semiconductor Manufacturing Electric Electronics
    Energy Pharmaceuticals Partners Capital Financial Insurance Telecom Communications Networks
    Software Media Entertainment Studios Foods Petroleum Oil Steel Mining Co Inc Corp Ltd LLC
    PLC AG SA GmbH Institute Museum Hospital Studies Research Reserve Exchange Nations Forum
        Administration Directorate Inspectorate Air
        United FC AFC Rovers Wanderers Athletic Albion Hotspur Real Olympique Dynamo Spartak
        Centers Centres Institutes Ministries Councils Agencies Services Courts Forces
        Ventures Society Trust Clinic Shelter Church Library Observatory Laboratory Lab Labs
    """.split()
    )
)
# a lower-case word right before a name that says it is a person: "leader Kim Jong Un"
EN_ROLE_WORDS = frozenset(
    """
    leader spokesman spokeswoman spokesperson minister secretary president chief executive
    director official envoy ambassador chairman chairwoman ceo head founder lawyer attorney
    analyst economist professor researcher commander general mayor governor senator lawmaker mp
    adviser advisor aide candidate chancellor premier king queen prince counterpart journalist
    reporter correspondent coach striker player actor singer author writer artist dr mr mrs ms
    président présidente ministre porte-parole dirigeant chef député sénateur maire général
    colonel juge avocat homologue m. mme
    """.split()
)
# one capitalised word + one of these after it is a place: "Punjab province"
EN_LOC_NOUNS = frozenset(
    """
    province region city state county district border capital coast island river oblast
    prefecture governorate village town port valley
    """.split()
)
# one capitalised word that alone names an institution
EN_INSTITUTIONS = frozenset(
    "Parliament Congress Senate Cabinet Knesset Bundestag Treasury Sénat Parlement".split()
)


def _load_given_names() -> frozenset[str]:
    from pathlib import Path

    path = Path(__file__).parent / "data" / "given_names.txt"
    words: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(line.split())
    return frozenset(words)


GIVEN_NAMES = _load_given_names()

# "city of X", "province of X": X is a place (a bare "in X" is not enough: "in Meetup")
EN_LOC_OF = re.compile(
    r"\b(?:city|town|village|province|region|state|island|port|capital|district|county|"
    r"ville|région|province|village|île) (?:of|de|d')\s*$",
    re.IGNORECASE,
)

# all-capital words that are not organisations (the rest, in running text, is taken as one)
EN_NOT_ORG_ACRONYMS = frozenset(
    """
    COVID SARS MERS GDP GNP CPI PMI CEO CFO COO CTO AI AGI TV EV EVS IPO ETF NFT GPS DNA RNA HIV
    AIDS PM AM BC AD OK VIP UFO LGBT LGBTQ MP MPS ID PHD CV SUV USD EUR GBP JPY CNY RMB YOY QOQ
    API CPU GPU PDF URL USB COP PR HR IT NGO NGOS GMT UTC EST EDT PST PDT BST CET CEST KM KG MW
    GW KWH LNG LPG CO2 ESG RSS FAQ ATM SMS USA UK EU US UN ICBM TNT SUVS VPN GOP MVP CGI DIY
    ASAP FYI AKA RIP TBD NB PS BBQ HQ IQ ER ICU OTC FX AUM IPOS RAM SSD CCTV LED OLED HD UHD
    OPEC NATO WHO WTO IMF FIFA UEFA ONU OTAN UE PIB TVA SMS RER TGV TER JO OVNI SIDA HLM PME
    ETA SAMU PDG DG IA
    """.split()
)
# words after an acronym that show it is an institution: "CBP officials", "NSC spokesman"
EN_ORG_CUES_AFTER = frozenset(
    """
    spokesman spokeswoman spokesperson official officials chief director head members member
    statement agents officers staff administrator porte-parole syndicat dirigeants union
    unions agency
    """.split()
)
# adjectives that start a capitalised run but are not part of the organisation's name
EN_LEAD_STRIP = frozenset("Former Key Top Senior Acting Then Rival Fellow Powerful".split())
