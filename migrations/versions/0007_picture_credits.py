"""Picture credits: outlets an article names only in a photo credit, apart from its citations

`article_cited_sources.role` is "cited" (the outlet is given as the source of what the article
reports: 据新华社报道, according to Reuters) or "credit" (named only in a picture credit:
图/新华社, Photo: AFP). An outlet may be both in one article, so the role joins the key.
Existing links are citations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "article_cited_sources",
        sa.Column("role", sa.String(8), server_default="cited", nullable=False),
    )
    op.drop_constraint("pk_article_cited_sources", "article_cited_sources", type_="primary")
    op.create_primary_key(
        "pk_article_cited_sources", "article_cited_sources", ["article_id", "source_id", "role"]
    )


def downgrade() -> None:
    op.execute("DELETE FROM article_cited_sources WHERE role <> 'cited'")
    op.drop_constraint("pk_article_cited_sources", "article_cited_sources", type_="primary")
    op.create_primary_key(
        "pk_article_cited_sources", "article_cited_sources", ["article_id", "source_id"]
    )
    op.drop_column("article_cited_sources", "role")
