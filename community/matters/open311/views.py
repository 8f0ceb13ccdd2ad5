"""``/open311/v2/``: thin views; every answer in the format the path names (``.json`` or
``.xml``), every refusal in the spec's error format with its HTTP status. Reads see what
an anonymous caller sees (public classes only), whoever is signed in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from community.matters import services
from community.matters.models import EventClass, ServiceRequest, TimelineEntry
from community.matters.open311 import formats, ids, inputs, keys, sql
from community.matters.open311 import representation as rep
from community.matters.open311.models import Open311Submission
from gis_app import access
from gis_app.audit import source_address
from gis_app.editing import EditContext
from gis_app.errors import DomainError, InvalidInput, NotFound, PermissionDenied

MAX_REQUESTS = 1000
DEFAULT_DAYS = 90
MAX_IDS = 200

View = Callable[..., HttpResponse]


def spec_errors(view: View) -> View:
    """Domain errors and oversized bodies -> the spec's error format."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, fmt=fmt, **kwargs)
        except DomainError as exc:
            return formats.error(fmt, exc.status_code, str(exc.message))
        except RequestDataTooBig:
            return formats.error(fmt, 413, _("The request body is too large."))
        except TooManyFieldsSent:
            return formats.error(fmt, 400, _("Too many fields."))

    return wrapped


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/open311/v2/")


@require_GET
@spec_errors
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    data = {
        "changeset": "2026-12-08T00:00:00Z",
        "contact": _("The community office of your area."),
        "key_service": _("Ask a city administrator for an api_key."),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": _base(request),
                "changeset": "2026-12-08T00:00:00Z",
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return formats.answer(fmt, data, "discovery")


@require_GET
@spec_errors
def services_list(request: HttpRequest, fmt: str) -> HttpResponse:
    major_classes = rep.majors()
    data = [rep.service(k, major_classes) for k in rep.services_queryset()]
    return formats.answer(fmt, data, "services", "service")


def _service(code: str) -> EventClass:
    found = rep.services_queryset().filter(code=code).first() if len(code) <= 32 else None
    if found is None:
        raise NotFound(_("service_code %(code)s is not a service.") % {"code": code[:40]})
    return found


@require_GET
@spec_errors
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return formats.answer(fmt, rep.definition(_service(code)), "service_definition")


def _visible() -> QuerySet[ServiceRequest]:
    rows = ServiceRequest.objects.select_related(
        "event_class", "organization", "community", "open311"
    ).prefetch_related(Prefetch("timeline", queryset=TimelineEntry.objects.order_by("version")))
    return access.visible(AnonymousUser(), rows)


def _when(request: HttpRequest, name: str) -> dt.datetime | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    value = parse_datetime(raw) if len(raw) <= 40 else None
    if value is None:
        raise InvalidInput(
            _("%(field)s must be a W3C date and time, e.g. 2026-01-01T00:00:00Z.")
            % {"field": name},
            field=name,
        )
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def _filtered(request: HttpRequest) -> QuerySet[ServiceRequest]:
    q = request.GET
    rows = _visible()
    wanted = [v.strip() for v in q.get("service_request_id", "").split(",") if v.strip()]
    if wanted:  # overrides every other parameter
        if len(wanted) > MAX_IDS or not all(ids.is_public_id(v) for v in wanted):
            raise InvalidInput(
                _("service_request_id must be request ids, comma-separated (at most %(n)d).")
                % {"n": MAX_IDS},
                field="service_request_id",
            )
        return rows.filter(pk__in=sql.request_pks(wanted))
    codes = [v.strip() for v in q.get("service_code", "").split(",") if v.strip()]
    if codes:
        rows = rows.filter(event_class__code__in=codes[:100])
    statuses = {v.strip() for v in q.get("status", "").split(",") if v.strip()}
    if statuses - {"open", "closed"}:
        raise InvalidInput(_("status must be open or closed."), field="status")
    if statuses == {"open"}:
        rows = rows.filter(state__in=rep.OPEN_STATES)
    elif statuses == {"closed"}:
        rows = rows.exclude(state__in=rep.OPEN_STATES)
    start, end = _when(request, "start_date"), _when(request, "end_date")
    span = dt.timedelta(days=DEFAULT_DAYS)
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None  # noqa: S101
        start = end - span
    if end is None:
        end = start + span
    if end < start or end - start > span:
        raise InvalidInput(
            _("start_date to end_date must be a range of at most %(days)d days.")
            % {"days": DEFAULT_DAYS},
            field="end_date",
        )
    return rows.filter(created_at__gte=start, created_at__lte=end)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@spec_errors
def requests_view(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post(request, fmt)
    inputs.check_form(request.GET)
    rows = _filtered(request).order_by("-created_at", "-id")[:MAX_REQUESTS]
    data = [rep.service_request(r) for r in rows]
    return formats.answer(fmt, data, "service_requests", "request")


# Its form is checked by ``inputs.check_form``, refusing in the spec's format.
requests_view.checks_own_fields = True  # type: ignore[attr-defined]


def _post(request: HttpRequest, fmt: str) -> HttpResponse:
    form = request.POST
    inputs.check_form(form)
    app = keys.application_for(form.get("api_key", ""))
    if app is None:
        raise PermissionDenied(_("api_key is missing or not a key of a client application."))
    klass = _service(inputs.service_code_of(form))
    posted = inputs.posted(form, klass)
    ctx = EditContext(
        user=AnonymousUser(),
        address=source_address(request),
        comment=_("Open311 client %(name)s") % {"name": app.name},
        source="open311",
    )
    with transaction.atomic():
        done = services.submit(ctx, posted.submission, source_checked=True)
        Open311Submission.objects.create(
            request=done.request,
            application=app,
            media_url=posted.media_url,
            address_string=posted.address_string,
        )
    obj = done.request
    data = [
        {
            "service_request_id": ids.public_id(obj.tracking_code),
            "token": obj.tracking_code,
            "service_notice": _(
                "Keep the token: it is the tracking code to follow, reopen or rate the request."
            ),
            "account_id": "",
        }
    ]
    return formats.answer(fmt, data, "service_requests", "request", status=201)


@require_GET
@spec_errors
def request_detail(request: HttpRequest, ident: str, fmt: str) -> HttpResponse:
    known = ids.is_public_id(ident)
    obj = _visible().filter(pk__in=sql.request_pks([ident])).first() if known else None
    if obj is None:
        raise NotFound(_("service_request_id %(id)s is not a request.") % {"id": ident[:40]})
    return formats.answer(fmt, [rep.service_request(obj)], "service_requests", "request")


@require_GET
@spec_errors
def token_view(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    code = token.upper() if len(token) <= 24 else ""
    obj = ServiceRequest.objects.filter(tracking_code=code).only("tracking_code").first()
    if not code or obj is None:
        raise NotFound(_("token %(token)s is not a token of a request.") % {"token": token[:40]})
    data = [{"service_request_id": ids.public_id(obj.tracking_code), "token": obj.tracking_code}]
    return formats.answer(fmt, data, "service_requests", "request")
