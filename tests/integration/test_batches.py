"""Stage tasks take batches of ids: what one message with many documents must still do for each
of them. The tasks run in this process (their functions, as a worker calls them) against the
real PostgreSQL and the test's Redis DB; no worker consumes the messages they send on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from shared.db import session_scope
from shared.models import Article, ArticleEntity, DocState, Document
from shared.runtime.intake import import_raw
from tests.conftest import ROOT

EN = (ROOT / "tests/e2e_pages/en_article.html").read_text(encoding="utf-8")
ZH = (ROOT / "tests/e2e_pages/zh_article.html").read_bytes()


def _import(html: str | bytes, url: str) -> int:
    raw = html.encode("utf-8") if isinstance(html, str) else html
    doc_id, outcome = import_raw(raw, url=url, send=False)
    assert outcome == "new"
    return doc_id


def _docs(ids: list[int]) -> dict[int, tuple[DocState, int | None, int | None]]:
    """document id -> (state, article id, article's duplicate_of)"""
    with session_scope() as db:
        rows = db.execute(
            select(Document.id, Document.state, Article.id, Article.duplicate_of)
            .outerjoin(Article, Article.document_id == Document.id)
            .where(Document.id.in_(ids))
        ).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_parse_batch_decides_duplicates_and_near_duplicates_inside_the_batch(clean_db):
    from services.parser.tasks import parse

    updated = EN.replace("Thursday", "Friday").replace(
        "</article>", "<p>Reuters contributed reporting to this story.</p></article>"
    )
    original = _import(EN, "https://harbor.example.org/world/eu-sanctions")
    copy = _import(EN, "https://mirror.example.net/eu-sanctions")  # same text, other URL
    near = _import(updated, "https://wire.example.com/eu-sanctions-updated")
    other = _import(ZH, "https://east.example.org/news/world/2024/03/12/japan-fm-beijing.html")

    summary = parse.run([original, copy, near, other])

    docs = _docs([original, copy, near, other])
    assert docs[original][0] == DocState.parsed and docs[original][2] is None
    assert docs[copy][0] == DocState.duplicate and docs[copy][1] is None
    assert docs[near][0] == DocState.parsed
    assert docs[near][2] == docs[original][1]  # linked to the first article of its cluster
    assert docs[other][0] == DocState.parsed and docs[other][2] is None
    assert "3 parsed" in summary and "1 duplicate" in summary
    with session_scope() as db:
        why = db.scalar(select(Document.last_error_message).where(Document.id == copy))
    assert f"document {original}" in why


def test_a_later_batch_joins_the_cluster_of_a_stored_article(clean_db):
    from services.parser.tasks import parse

    first = _import(EN, "https://harbor.example.org/world/eu-sanctions")
    parse.run([first])
    later = _import(
        EN.replace("Thursday", "Saturday"), "https://agency.example.com/eu-sanctions-saturday"
    )
    parse.run([later, 999_999])  # an unknown id in the batch is skipped, not an error
    docs = _docs([first, later])
    assert docs[later][0] == DocState.parsed and docs[later][2] == docs[first][1]


def test_enrich_batch_stores_links_once_and_replaces_them_on_reenrich(clean_db):
    from services.enricher.tasks import enrich
    from services.parser.tasks import parse

    ids = [
        _import(EN, "https://harbor.example.org/world/eu-sanctions"),
        _import(ZH, "https://east.example.org/news/world/2024/03/12/japan-fm-beijing.html"),
    ]
    parse.run(ids)
    with session_scope() as db:
        articles = list(db.scalars(select(Article.id).where(Article.document_id.in_(ids))))
    assert "2 enriched" in enrich.run(articles)

    def links() -> int:
        with session_scope() as db:
            return db.scalar(
                select(func.count())
                .select_from(ArticleEntity)
                .where(ArticleEntity.article_id.in_(articles))
            )

    first = links()
    assert first > 0
    assert "2 skipped" in enrich.run(articles)  # a second delivery does nothing
    with session_scope() as db:  # what `manage.py reenrich` does
        db.execute(update(Document).where(Document.id.in_(ids)).values(state=DocState.parsed))
    assert "2 enriched" in enrich.run(articles)
    assert links() == first  # replaced, not added


def test_a_long_fetch_batch_renews_the_lease_of_the_documents_still_to_come(clean_db):
    from services.fetcher.tasks import store_and_hand_over

    stale = datetime.now(UTC) - timedelta(hours=1)
    with session_scope() as db:
        ids = [
            db.execute(
                Document.__table__.insert()
                .values(
                    url=f"https://slow.example.org/{i}",
                    domain="slow.example.org",
                    origin="url",
                    state=DocState.fetching,
                    state_changed_at=stale,
                )
                .returning(Document.id)
            ).scalar_one()
            for i in range(3)
        ]
    store_and_hand_over([], renew=ids[1:])
    with session_scope() as db:
        changed = dict(
            db.execute(
                select(Document.id, Document.state_changed_at).where(Document.id.in_(ids))
            ).all()
        )
    assert changed[ids[0]] == stale  # not in the batch's remainder
    assert all(changed[i] > stale + timedelta(minutes=59) for i in ids[1:])


def test_send_ids_puts_at_most_a_batch_in_each_message(clean_db, redis_db, monkeypatch):
    import base64
    import json

    from shared.runtime.handover import send_ids

    monkeypatch.setenv("NEWSFLOW_BATCH_SIZE", "4")
    assert send_ids("newsflow.parse", range(1, 11)) == 3
    assert send_ids("newsflow.parse", []) == 0
    bodies = [json.loads(m)["body"] for m in redis_db.lrange("parse", 0, -1)]
    batches = sorted(json.loads(base64.b64decode(b))[0][0] for b in bodies)
    assert batches == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]


def test_a_task_going_through_a_batch_leaves_a_progress_heartbeat(clean_db, redis_db):
    import socket

    from services.parser.tasks import parse
    from shared.runtime import heartbeat

    doc = _import(EN, "https://harbor.example.org/world/eu-sanctions")
    heartbeat._last = 0.0
    parse.apply(args=([doc],))  # as a worker runs it: with a request naming the node
    age = heartbeat.age(redis_db, socket.gethostname())
    assert age is not None and age < 60


def test_a_page_being_fetched_is_not_claimed_by_a_second_message(clean_db):
    """Only its own task (a Celery retry or redelivery) or anyone after the lease may take a
    document another fetch task holds; the sweeper releases a claim whose holder died."""
    from services.fetcher.tasks import claim
    from shared.runtime.intake import enqueue_urls
    from shared.runtime.maintenance import sweep

    ids = enqueue_urls(["https://a.example.org/1", "https://a.example.org/2"], send=False).new
    assert sorted(r[0] for r in claim(ids, "task-a", 1800)) == ids
    assert claim(ids, "task-b", 1800) == []  # a sweeper copy, a second message: held
    assert len(claim(ids[:1], "task-a", 1800)) == 1  # the holder retried
    with session_scope() as db:
        db.execute(
            update(Document)
            .where(Document.id == ids[1])
            .values(state_changed_at=datetime.now(UTC) - timedelta(hours=1))
        )
    assert [r[0] for r in claim(ids, "task-b", 1800)] == [ids[1]]  # its holder's lease is over

    with session_scope() as db:  # task-a died holding ids[0]
        db.execute(
            update(Document)
            .where(Document.id == ids[0])
            .values(state_changed_at=datetime.now(UTC) - timedelta(hours=2))
        )
    assert sweep(lease_seconds=3600) == {"fetching": 1}
    with session_scope() as db:
        state, holder = db.execute(
            select(Document.state, Document.claimed_by).where(Document.id == ids[0])
        ).one()
    assert state == DocState.queued and holder is None
    assert [r[0] for r in claim(ids[:1], "task-c", 3600)] == ids[:1]  # the re-sent message


def test_what_the_store_boundary_capped_in_an_enrichment_joins_the_article_flags(clean_db):
    from services.enricher.tasks import enrich
    from services.parser.tasks import parse

    paragraphs = "".join(
        f"<p>第{i}轮会谈后，中国代表说中国愿意在第{i + 1}轮继续推动对话，中国不会退出。</p>"
        for i in range(500)
    )
    html = f"<html><head><title>中国外交</title></head><body><article>{paragraphs}</article></body></html>"
    doc = _import(html, "https://cap.example.org/news/2024/05/01/china.html")
    parse.run([doc])
    with session_scope() as db:
        article = db.scalar(select(Article.id).where(Article.document_id == doc))
    assert "1 enriched" in enrich.run([article])

    def flags() -> list[str]:
        with session_scope() as db:
            return db.scalar(select(Article.flags).where(Article.id == article))

    assert "entity-offsets-capped" in flags()  # 1,500 mentions of 中国, offsets kept: 1,000
    with session_scope() as db:  # re-enrich: the flag is not added twice
        db.execute(update(Document).where(Document.id == doc).values(state=DocState.parsed))
    enrich.run([article])
    assert flags().count("entity-offsets-capped") == 1
