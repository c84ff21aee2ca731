"""Raw bodies stored without a second compression

`documents.raw_body` holds Zstandard-compressed bytes (shared/pipeline.compress). With the default
storage (EXTENDED) PostgreSQL tries to compress every value over 2 KB again before moving it out
of line: pglz spends about half the server's time of a WARC import batch on that attempt and
keeps the value as it came (compressed bytes do not shrink). EXTERNAL keeps the out-of-line
storage and skips the attempt, for every writer (fetch, import, reparse). Existing rows are not
rewritten; the setting applies to values stored from now on.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE documents ALTER COLUMN raw_body SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.execute("ALTER TABLE documents ALTER COLUMN raw_body SET STORAGE EXTENDED")
