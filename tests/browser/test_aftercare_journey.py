"""Aftercare, end to end at 390 px: the therapist completes a visit and writes the notes; time
moves forward (the dispatcher is called with ``now`` set to each reminder's due time, as beat
would at that moment); the client finds the reminders in the dashboard and as files in the
mail directory, gives feedback through the e-mailed link, and books the follow-up from the
dashboard's link."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes
from urllib.parse import urlparse

from django.utils import timezone
from playwright.sync_api import expect

from aftercare.models import Feedback, Reminder, SessionNote
from aftercare.tasks import dispatch_due_reminders
from booking.models import Booking
from tests import factories
from tests.browser.conftest import check_a11y, login

SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def _mails(mail_dir) -> list:
    messages = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR)[:-1]:
            messages.append(message_from_bytes(chunk.strip(b"\n")))
    # Files are named by second and object id, so sort by reminder (the plan's order) instead.
    return sorted(messages, key=lambda m: int(m["X-HomeKnots-Reminder"]))


def _text(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


def test_visit_notes_reminders_feedback_and_follow_up(page, transactional_db, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    mail_dir = settings.EMAIL_FILE_PATH

    service = factories.ServiceFactory(name="Neck and shoulders, 60 min")
    therapist = service.therapist
    for weekday in range(7):
        factories.WeeklyHoursFactory(
            therapist=therapist, weekday=weekday, start_time=dt.time(8), end_time=dt.time(18)
        )
    client_profile = factories.ClientProfileFactory(user__first_name="Dana")
    intake = factories.IntakeFactory(
        client=client_profile, never_had_massage=True, last_massage_on=None
    )
    factories.PainAreaFactory(intake=intake, region="neck-back", intensity=7, refers_to=["head"])
    # The visit started an hour ago (the booking flow cannot book the past; it is made here).
    starts = (timezone.now() - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    booking = factories.BookingFactory(
        client=client_profile, service=service, starts_at=starts, intake=intake
    )

    # --- The therapist marks the visit completed and writes the notes. ---------------------
    login(page, therapist.user.email, factories.PASSWORD)
    page.goto(f"/therapists/visits/{booking.pk}/")
    check_a11y(page)
    page.get_by_role("button", name="Mark completed").click()

    expect(page).to_have_url(re.compile(rf"/aftercare/visits/{booking.pk}/notes/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Session notes")
    check_a11y(page)
    # The intake's area is ticked already; add the upper back.
    expect(page.get_by_role("checkbox", name="Back of the neck", exact=True)).to_be_checked()
    page.get_by_role("checkbox", name="Upper back (right)", exact=True).check()
    page.get_by_role("group", name="Pressure used (1–10)").get_by_text("6", exact=True).click()
    page.get_by_label("Trigger points found, and where their pain referred").fill(
        "Upper trapezius (right), referring to the temple."
    )
    page.get_by_label("Advice given").fill("Gentle neck stretches twice a day.")
    page.get_by_label("Recommended follow-up (days)").fill("14")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("alert")).to_contain_text("Notes saved")
    check_a11y(page)

    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED
    note = SessionNote.objects.get(booking=booking)
    assert note.treated_areas == ["neck-back", "upper-back-right"]
    assert note.pressure_used == 6
    plan = {r.kind: r for r in Reminder.objects.filter(booking=booking)}
    assert set(plan) == set(Reminder.PLAN_KINDS)

    # --- Time moves forward: the dispatcher runs at each reminder's due time. ---------------
    for kind in Reminder.PLAN_KINDS:
        dispatch_due_reminders.delay(now=(plan[kind].due_at + dt.timedelta(minutes=1)).isoformat())
    statuses = set(Reminder.objects.filter(booking=booking).values_list("status", flat=True))
    assert statuses == {Reminder.Status.SENT}

    mails = _mails(mail_dir)
    assert [m["To"] for m in mails] == [client_profile.user.email] * 4
    subjects = [m["Subject"] for m in mails]
    assert subjects[0] == "Drink plenty of water today and tomorrow"
    assert subjects[1] == "Sore after your massage? What helps"
    next_day = _text(mails[1])
    assert "your back of the neck and upper back (right)" in next_day
    assert "Soreness is most likely after a first massage" in next_day
    assert "Gentle neck stretches twice a day." in next_day
    assert all(m["List-Unsubscribe"] for m in mails)

    # --- The client sees them in the dashboard. ---------------------------------------------
    page.context.clear_cookies()
    login(page, client_profile.user.email, factories.PASSWORD)
    expect(page).to_have_url(re.compile("/dashboard/$"))
    panel = page.get_by_test_id("aftercare-panel")
    for subject in subjects:
        expect(panel.get_by_text(subject, exact=True)).to_be_visible()
    panel.get_by_text("Sore after your massage? What helps", exact=True).click()
    expect(panel.get_by_text("20 minutes on, 20 minutes off", exact=False)).to_be_visible()
    check_a11y(page)

    # --- Feedback through the link in the next-day e-mail (works without logging in). -------
    link = re.search(r"http\S+/aftercare/visits/\d+/feedback/\S+/", next_day).group(0)
    page.context.clear_cookies()
    page.goto(urlparse(link).path)
    expect(page.get_by_role("heading", level=1)).to_have_text("How do you feel after your visit?")
    check_a11y(page)
    page.get_by_role("group", name=re.compile("How sore are you now")).get_by_text(
        "3", exact=True
    ).click()
    page.get_by_role("combobox", name="Back of the neck").select_option("4")
    page.get_by_text("About right", exact=True).click()
    page.get_by_text("5 · excellent", exact=True).click()
    page.get_by_label("Anything else your therapist should know? (optional)").fill(
        "Much looser today."
    )
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_test_id("feedback-saved")).to_contain_text("Thank you")
    check_a11y(page)
    feedback = Feedback.objects.get(booking=booking)
    assert (feedback.soreness, feedback.rating, feedback.area_soreness) == (3, 5, {"neck-back": 4})

    # --- The follow-up: one click from the dashboard to the same therapist and service. -----
    login(page, client_profile.user.email, factories.PASSWORD)
    follow_up = page.get_by_test_id("follow-up")
    expect(follow_up).to_contain_text("about 14 days after the last one")
    expect(follow_up).to_contain_text("Thirty minutes every other week")
    # The chart shows the neck: pain at intake, soreness in the feedback, the visit.
    expect(
        page.get_by_role("img", name=re.compile("Back of the neck: pain at intake 7"))
    ).to_be_visible()
    check_a11y(page)
    follow_up.get_by_test_id("follow-up-times").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/book/review/"))
    expect(page.locator("main")).to_contain_text("Neck and shoulders, 60 min")
    expect(page.locator("main")).to_contain_text(therapist.display_name)
    check_a11y(page)
    page.get_by_test_id("confirm").click()

    new_booking = Booking.objects.exclude(pk=booking.pk).get(client=client_profile)
    assert new_booking.therapist == therapist
    assert new_booking.service == service
    assert new_booking.status == Booking.Status.CONFIRMED
    check_a11y(page)
