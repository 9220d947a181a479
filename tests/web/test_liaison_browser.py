"""In a real browser, using only the pages: staff of A opens a channel with B and sends a
message to B; B's user sees it unacknowledged, replies and acknowledges; A sees B's
acknowledgement and the reply. Screenshots go under test-artifacts/web/<database>/."""

# ruff: noqa: F811  (pytest fixtures imported from test_liaison_pages are parameters here)

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.browser_support import shoot, sign_in
from tests.web.test_liaison_pages import Staffs, staffs  # noqa: F401  (fixtures)


def test_two_staffs_exchange_and_acknowledge_in_the_browser(
    device: Any, staffs: Staffs, shots: Path
) -> None:
    a = device()
    sign_in(a, staffs.a)
    a.get_by_role("link", name="Liaison", exact=True).click()
    a.get_by_label("Name of the channel").fill("Aldoria-Belvania staff talks")
    a.get_by_label("General Staff of Belvania").check()
    a.get_by_label("TLP of the channel's messages").select_option("amber")
    a.get_by_role("button", name="Open the channel").click()
    expect(a.get_by_role("heading", name="Aldoria-Belvania staff talks")).to_be_visible()
    expect(a.get_by_role("status")).to_have_text("The channel has been opened.")

    a.get_by_label("Subject (optional)").fill("Exercise Northern Shield dates")
    a.get_by_label("Message", exact=True).fill("Please confirm 14 to 16 April.")
    expect(a.get_by_label("General Staff of Belvania")).to_be_checked()
    a.get_by_role("button", name="Send", exact=True).click()
    expect(a.get_by_role("status")).to_have_text("The message has been sent.")
    expect(a.get_by_text("General Staff of Belvania: not acknowledged")).to_be_visible()
    shoot(a, shots, "liaison-1-sent")

    b = device()
    sign_in(b, staffs.b)
    b.get_by_role("link", name="Liaison", exact=True).click()
    row = b.get_by_role("row", name="Aldoria-Belvania staff talks")
    expect(row.get_by_role("cell").nth(4)).to_have_text("1")  # awaiting B's acknowledgement
    shoot(b, shots, "liaison-2-channels-b")
    b.get_by_role("link", name="Unacknowledged").click()
    b.get_by_label("Sent more than this long ago (ISO 8601 duration)").fill("PT0S")
    b.get_by_role("button", name="Show").click()
    expect(b.get_by_role("link", name="Exercise Northern Shield dates")).to_be_visible()
    shoot(b, shots, "liaison-3-unacknowledged-b")
    b.get_by_role("link", name="Exercise Northern Shield dates").click()

    b.get_by_role("link", name="Reply").click()
    expect(b.get_by_label("In reply to")).to_have_value(
        b.locator("article.message").first.get_attribute("id") or ""
    )
    b.get_by_label("Subject (optional)").fill("Re: Exercise dates")
    b.get_by_label("Message", exact=True).fill("Confirmed: 14 to 16 April.")
    b.get_by_role("button", name="Send", exact=True).click()
    expect(b.get_by_role("status")).to_have_text("The message has been sent.")
    b.get_by_role("button", name="Acknowledge").click()
    expect(b.get_by_role("status")).to_have_text("Receipt acknowledged for your organization.")
    shoot(b, shots, "liaison-4-replied-acknowledged-b")

    a.reload()
    first = a.locator("article.message").first
    expect(first.get_by_text("General Staff of Belvania: acknowledged")).to_be_visible()
    reply = a.locator("article.message.depth-1")
    expect(reply.get_by_role("heading", name="Re: Exercise dates")).to_be_visible()
    expect(reply.get_by_text("Confirmed: 14 to 16 April.")).to_be_visible()
    expect(reply.get_by_role("link", name="Exercise Northern Shield dates")).to_be_visible()
    expect(reply.get_by_role("button", name="Acknowledge")).to_be_visible()
    shoot(a, shots, "liaison-5-thread-a")
