"""The unsubscribe page on the public host: `GET /u/<token>/` asks, `POST` unsubscribes.

The POST needs no CSRF token: RFC 8058 one-click unsubscribes come from mail providers' servers with the
body `List-Unsubscribe=One-Click`, and all a forged POST could do is what the link's owner asked for.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language_from_request
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_tenants.utils import schema_context

from backorder.texts import language_for
from notifications import kinds
from notifications.unsubscribe import BadUnsubscribeLink, unsubscribe_record, unsubscribe_token_read

TEXTS = {
    "en": {"title": "Unsubscribe", "confirm": "Unsubscribe", "done": "Done: you will get no more of these e-mails.",
           "question": "Stop {scope} from {store} to {email}?", "bad_link": "This unsubscribe link is not valid.",
           "transactional": "E-mails about your orders still reach you.",
           "scopes": {"stock_alerts": "back-in-stock alerts", "incentives": "offers",
                      "all": "alerts and offers"}},
    "de": {"title": "Abbestellen", "confirm": "Abbestellen", "done": "Erledigt: Sie erhalten diese E-Mails nicht mehr.",
           "question": "{scope} von {store} an {email} abbestellen?", "bad_link": "Dieser Abmeldelink ist ungültig.",
           "transactional": "E-Mails zu Ihren Bestellungen erhalten Sie weiterhin.",
           "scopes": {"stock_alerts": "Verfügbarkeits-Benachrichtigungen", "incentives": "Angebote",
                      "all": "Benachrichtigungen und Angebote"}},
    "fr": {"title": "Se désabonner", "confirm": "Se désabonner",
           "done": "C'est fait : vous ne recevrez plus ces e-mails.",
           "question": "Ne plus recevoir les {scope} de {store} à {email} ?",
           "bad_link": "Ce lien de désabonnement n'est pas valide.",
           "transactional": "Les e-mails concernant vos commandes vous parviennent toujours.",
           "scopes": {"stock_alerts": "alertes de retour en stock", "incentives": "offres",
                      "all": "alertes et offres"}},
    "es": {"title": "Darse de baja", "confirm": "Darse de baja", "done": "Hecho: ya no recibirás estos correos.",
           "question": "¿Dejar de recibir {scope} de {store} en {email}?",
           "bad_link": "Este enlace para darse de baja no es válido.",
           "transactional": "Los correos sobre tus pedidos te seguirán llegando.",
           "scopes": {"stock_alerts": "avisos de disponibilidad", "incentives": "ofertas",
                      "all": "avisos y ofertas"}},
}  # fmt: skip


def _store_for(schema_name: str):
    from stores.models import Store

    return Store.objects.merchants().filter(schema_name=schema_name).first()


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    language = language_for(get_language_from_request(request), "en")
    t = TEXTS[language]
    try:
        claims = unsubscribe_token_read(token)
        store = _store_for(claims.schema_name)
        if store is None:
            raise BadUnsubscribeLink("unknown store")
    except BadUnsubscribeLink:
        context = {"t": t, "title": t["title"], "language": language, "store": None}
        return render(request, "notifications/unsubscribe_problem.html", context, status=404)
    done = False
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        with schema_context(store.schema_name):
            unsubscribe_record(email=claims.email, scope=claims.scope, source="one_click" if one_click else "page")
        done = True
    scope = t["scopes"].get(claims.scope, t["scopes"][kinds.SCOPE_ALL])
    context = {
        "t": t, "title": t["title"], "language": language, "store": store, "done": done,
        "question": t["question"].format(scope=scope, store=store.name, email=claims.email),
    }  # fmt: skip
    response = render(request, "notifications/unsubscribe.html", context)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
