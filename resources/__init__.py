"""Files read at run time: icons, theme, alembic migrations."""
