"""The runtime guard (``alembic_safe.configure`` in env.py) and ``alembic check`` integration."""
