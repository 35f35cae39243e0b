"""The merchant API of the notifications app (mounted at /api/v1/notifications/ on store hosts)."""
