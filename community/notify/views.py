"""The inbox pages: the signed-in user's own messages, newest first; opening one marks it
read and follows its link; "mark read" (one or all) by POST. Another user's message answers
404 exactly like a missing one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from community.notify import services
from gis_app.errors import NotFound

PAGE_SIZE = 30


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(services.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "unread": services.unread_count(request.user)}
    return render(request, "notify/inbox.html", context)


@require_GET
@login_required
def open_message(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        message = services.own_message(request.user, pk)
    except NotFound:
        raise Http404 from None
    services.mark_read(request.user, message.pk)
    return HttpResponseRedirect(message.link or reverse("notify:inbox"))


@require_POST
@login_required
def mark_read(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    try:
        services.mark_read(request.user, pk)
    except NotFound:
        raise Http404 from None
    return HttpResponseRedirect(reverse("notify:inbox"))
