"""Where the benchmarks find their public data sets, and where to get them when they are missing.

The data is not in the repository (each set has its own licence). Every bench takes `--data`
or the environment variable NEWSFLOW_SHARED (the folder that holds `dev-data/` and
`bench-data/`), defaulting to `../shared` beside the repository.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SOURCES = {
    "bench-data/article-extraction-benchmark": (
        "scrapinghub article-extraction-benchmark (181 English news pages with gold bodies): "
        "the GitHub repository scrapinghub/article-extraction-benchmark, folders html/ and "
        "ground-truth.json"
    ),
    "dev-data/wcxb-dev": (
        "WCXB development split (Murrough Foley, CC-BY-4.0): 1,497 pages of 7 page types with "
        "ground-truth/NNNN.json and evaluate.py"
    ),
    "dev-data/fundus": "fundus parser test pages (flairNLP/fundus, MIT): tests/resources/parser",
    "dev-data/zh-pages": "Chinese news pages collected by the GNE project (GeneralNewsExtractor)",
    "dev-data/ner": (
        "CoNLL-2003 English (train, valid), MSRA Chinese NER (dev), People's Daily 1998 NER "
        "(dev, test), as token TAB BIO-tag files"
    ),
    "ner-gold": "entity gold of the five seed articles (this project's reference material)",
    "seeds": "the five saved RFI snapshots (also shipped in samples/)",
}


def shared_root() -> Path:
    return Path(os.environ.get("NEWSFLOW_SHARED", REPO.parent / "shared"))


def dataset(relative: str, override: Path | None = None) -> Path:
    """The folder of a data set (`relative` to the shared root, e.g. "dev-data/wcxb-dev"); exits
    with where to get it when it is not there."""
    path = override or shared_root() / relative
    if not path.exists():
        source = SOURCES.get(relative, "see bench/data.py")
        sys.exit(
            f"data set not found: {path}\n  what: {source}\n"
            f"  point --data or NEWSFLOW_SHARED (the folder holding {relative}) at a copy"
        )
    return path
