"""The inbox on a phone, in both languages: the unread count on the menu, the messages
newest first, "mark all read" clears the badge; nothing overflows the screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils.translation import gettext_lazy as _

from tests.browser.conftest import in_thread, shot

PASSWORD = "demo-pass-2019"
TEXTS = {
    "zh-hans": ("消息", "导入任务 52 已完成", "全部标为已读"),
    "en": ("Messages", "Import job 52 finished", "Mark all read"),
}


@pytest.fixture
def two_messages(live_url: str) -> Iterator[None]:
    def make() -> list[int]:
        from django.contrib.auth.models import User
        from django.utils import timezone

        from community import notify
        from community.notify import kinds
        from community.notify.models import Message
        from community.notify.texts import localized
        from importers.models import ImportStatus

        kinds.register("test.browser", "Browser test")
        worker = User.objects.get(username="community_worker")
        Message.objects.filter(recipient=worker, read_at=None).update(read_at=timezone.now())
        made = [
            notify.send([worker], "test.browser", "巡检提醒 reminder", channels={"inbox"}),
            notify.send(
                [worker],
                "test.browser",
                localized(_("Import job %(job)s finished"), job=52),
                localized(
                    _(
                        "Status: %(status)s. %(inserted)s added, %(updated)s updated, "
                        "%(rejected)s rejected."
                    ),
                    status=ImportStatus.COMMITTED.label,
                    inserted=3,
                    updated=0,
                    rejected=0,
                ),
                link="/imports/",
                channels={"inbox"},
            ),
        ]
        return [sent.messages[0].pk for sent in made]

    ids = in_thread(make)
    yield

    def remove() -> None:
        from community.notify.models import Message

        Message.objects.filter(pk__in=ids).delete()

    in_thread(remove)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_inbox_on_a_phone(open_page: Any, live_url: str, two_messages: None, language: str) -> None:
    menu, title, mark_all = TEXTS[language]
    page = open_page(
        "/accounts/login/?next=/notifications/", viewport=(375, 812), language=language
    )
    page.fill("#id_username", "community_worker")
    page.fill("#id_password", PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(live_url + "/notifications/")
    entry = page.locator('.topnav a[href="/notifications/"]')
    assert menu in entry.inner_text() and entry.locator(".badge").inner_text() == "2"
    titles = page.locator(".inbox .message-title").all_inner_texts()
    assert titles[:2] == [title, "巡检提醒 reminder"]  # newest first
    assert page.locator(".inbox .message.unread").count() == 2
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 375, f"the page is {width}px wide on a 375px screen"
    shot(page, f"notify-inbox-375-{language}")
    page.get_by_role("button", name=mark_all).click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".inbox .message.unread").count() == 0
    assert page.locator('.topnav a[href="/notifications/"] .badge').count() == 0
    shot(page, f"notify-inbox-read-375-{language}")
