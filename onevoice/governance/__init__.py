"""Members, roles, channels, the permission table and signing in (1. Authorized use)."""
