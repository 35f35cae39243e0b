"""The shopper's self-service page: a signed link in every e-mail opens the status of their order, where they
can accept a delay, cancel, or change how it ships (no login; see docs/notifications-self-service.md)."""
