"""Signing in with e-mail and password (people who signed up on the web)."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """The username of a web sign-up is its e-mail in lower case; BigCommerce users have no password."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        username = (email or username or "").strip().lower()
        if not username or password is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
