"""Storage: SQLAlchemy models, transactions and Alembic migrations."""
from .db import Database

__all__ = ["Database"]
