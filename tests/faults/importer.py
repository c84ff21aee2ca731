"""Import syndicated copies back to back: `python -m tests.faults.importer BASE N`.

For n in 0..N-1 the same article page (no canonical link) is imported under two URLs,
BASE/wire/a/n.html and BASE/wire/b/n.html, one right after the other, so two parse workers
take the pair at the same moment. Prints the URLs as JSON pairs.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    base, count = sys.argv[1], int(sys.argv[2])
    from shared.runtime.intake import import_raw
    from tests.faults.harness import article_html

    pairs = []
    for n in range(count):
        page = article_html(10_000 + n, canonical=False)
        urls = [f"{base}/wire/a/{n}.html", f"{base}/wire/b/{n}.html"]
        for url in urls:
            import_raw(page, url=url)
        pairs.append(urls)
    print(json.dumps(pairs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
