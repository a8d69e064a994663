"""Alembic migrations, shipped inside the package so the backend image can run ``todo-migrate``."""
