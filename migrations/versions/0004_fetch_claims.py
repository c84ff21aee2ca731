"""fetch claims: which task holds a document in `fetching`

A fetch task claims its documents with its Celery task id. Another task (a sweeper copy, a second
message for the same URL) may take a `fetching` document only when the claim is its own (a retry
or redelivery of the same task) or older than the lease; the sweeper releases stale claims.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("claimed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("documents", "claimed_by")
