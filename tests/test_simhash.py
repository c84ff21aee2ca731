from shared.simhash import MAX_DISTANCE, bands, distance, shingles, simhash

ZH = (
    "据朝中社1月21日报导，朝鲜外务省20日发表公报，报道了朝鲜外务相访问俄罗斯的成果。公报称，"
    "俄罗斯总统表示有意尽快访问平壤。朝中社援引一名外务省官员的话说，总统在会见上周访问俄罗斯的"
    "朝鲜外务相时，还感谢了朝鲜最高领导人的访问邀请。"
)
EN = (
    "European Union leaders on Thursday agreed a new package of sanctions against Russia, "
    "officials said, targeting companies in China and India accused of helping Moscow evade "
    "earlier restrictions. The measures were approved at a summit in Brussels."
)


def test_cjk_uses_character_shingles_and_other_text_word_shingles():
    assert all(len(s) == 4 for s in shingles(ZH))
    assert shingles(EN)[0] == "european union leaders"


def test_near_copies_are_close_and_different_texts_far():
    edited_zh = ZH.replace("20日", "21日") + "（完）"
    edited_en = EN.replace("Thursday", "Friday") + " Reuters contributed."
    assert distance(simhash(ZH), simhash(edited_zh)) <= MAX_DISTANCE
    assert distance(simhash(EN), simhash(edited_en)) <= MAX_DISTANCE
    assert distance(simhash(ZH), simhash(EN)) > 10


def test_close_hashes_share_a_band_and_fit_postgres_types():
    h = simhash(EN)
    assert -(2**63) <= h < 2**63
    flipped = h ^ 0b1001  # two bits apart
    assert set(bands(h)) & set(bands(flipped))
    assert all(0 <= b < 2**31 for b in bands(h))
