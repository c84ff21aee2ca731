"""WARC lineage: which archive record a document came from

A document imported from a WARC file (`manage.py import FILE.warc.gz`) keeps the record's
WARC-Record-ID, the archive it was read from and the record's byte offset there (the gzip member
start: what a CDX index holds, enough to read the record again without the database), and the
HTTP status line and headers as archived (order, case and repeats, which the JSONB
response_headers does not keep) so that `export --warc` writes them back as received. All four
stay NULL for fetched documents. No index: nothing looks documents up by record id on the hot
path, and every index costs a write per imported page.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("warc_record_id", sa.Text(), nullable=True))
    op.add_column("documents", sa.Column("warc_source", sa.Text(), nullable=True))
    op.add_column("documents", sa.Column("warc_offset", sa.BigInteger(), nullable=True))
    op.add_column("documents", sa.Column("http_head", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("documents", "http_head")
    op.drop_column("documents", "warc_offset")
    op.drop_column("documents", "warc_source")
    op.drop_column("documents", "warc_record_id")
