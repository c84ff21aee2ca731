"""Layer 3, the worker runtime: the Celery app, the stage table, hand-over, the batch loop,
maintenance (sweeper, feed polls) and warm-up. Imports the ground layer (shared/*.py) and the
services' pure logic; never the operator tools (shared/ops)."""
