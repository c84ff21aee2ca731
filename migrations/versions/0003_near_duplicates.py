"""near-duplicate links on articles

MinHash signature and LSH band keys (GIN-indexed) per article; duplicate_of points at the
oldest article of the cluster a syndicated copy or updated version belongs to.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:54:10.100468
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("minhash", postgresql.ARRAY(sa.Integer()), nullable=True))
    op.add_column("articles", sa.Column("lsh_bands", postgresql.ARRAY(sa.Integer()), nullable=True))
    op.add_column("articles", sa.Column("duplicate_of", sa.BigInteger(), nullable=True))
    op.create_index(op.f("ix_articles_duplicate_of"), "articles", ["duplicate_of"], unique=False)
    op.create_index(
        "ix_articles_lsh_bands", "articles", ["lsh_bands"], unique=False, postgresql_using="gin"
    )
    op.create_foreign_key(
        op.f("fk_articles_duplicate_of_articles"),
        "articles",
        "articles",
        ["duplicate_of"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_articles_duplicate_of_articles"), "articles", type_="foreignkey")
    op.drop_index("ix_articles_lsh_bands", table_name="articles", postgresql_using="gin")
    op.drop_index(op.f("ix_articles_duplicate_of"), table_name="articles")
    op.drop_column("articles", "duplicate_of")
    op.drop_column("articles", "lsh_bands")
    op.drop_column("articles", "minhash")
