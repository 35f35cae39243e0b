"""Shopper e-mails and merchant alerts (outbox, templates): see the notifications issue."""
