from django.conf import settings


def store(request) -> dict:
    tenant = getattr(request, "tenant", None)
    return {
        "store": tenant if tenant is not None and not tenant.is_public else None,
        "app_base_url": settings.APP_BASE_URL,
    }
