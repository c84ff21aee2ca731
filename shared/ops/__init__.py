"""Layer 4, the operator tools behind manage.py: intake, status, export, operations, the local
stack and the demo. May import every layer below; nothing below imports it."""
