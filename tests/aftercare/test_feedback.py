"""Feedback: through a signed link (no login) or the dashboard; the therapist hears at once
about high soreness or too-deep pressure; the pressure preference gets a suggested update;
ratings and moderated comments for profiles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.urls import reverse

from aftercare import selectors, services, tokens
from aftercare.models import Feedback
from booking.models import Booking
from clients.models import Intake
from tests import factories
from tests.aftercare.factories import SessionNoteFactory, past_visit

pytestmark = pytest.mark.django_db

GOOD = {"soreness": "3", "pressure": "right", "rating": "5", "comment": "", "message": ""}


def _link(booking: Booking, token: str | None = None) -> str:
    token = token or tokens.feedback_token(booking_id=booking.pk, client_id=booking.client_id)
    return reverse("aftercare:feedback_link", kwargs={"pk": booking.pk, "token": token})


def test_a_signed_link_takes_feedback_without_logging_in(client):
    note = SessionNoteFactory(treated_areas=["upper-back-right"])
    url = _link(note.booking)

    page = client.get(url)
    assert page.status_code == 200
    assert "Upper back (right)" in page.content.decode()  # soreness per treated area

    response = client.post(
        url, {**GOOD, "area_upper-back-right": "4", "message": "Better already."}
    )

    assert response.status_code == 302
    feedback = Feedback.objects.get(booking=note.booking)
    assert (feedback.soreness, feedback.pressure, feedback.rating) == (3, "right", 5)
    assert feedback.area_soreness == {"upper-back-right": 4}
    assert feedback.message == "Better already."
    assert feedback.client == note.client and feedback.therapist == note.therapist
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you, your feedback is saved." in thanks
    assert mail.outbox == []  # nothing alarming: the therapist is not bothered


def test_an_expired_link_is_refused_with_a_clear_page(client, monkeypatch):
    booking = past_visit()
    url = _link(booking)
    later = signing.time.time() + tokens.FEEDBACK_LINK_MAX_AGE.total_seconds() + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)

    response = client.get(url)

    assert response.status_code == 403
    assert "This feedback link has expired" in response.content.decode()
    assert client.post(url, GOOD).status_code == 403
    assert not Feedback.objects.exists()


def test_a_tampered_link_is_refused_with_a_clear_page(client):
    booking = past_visit()
    token = tokens.feedback_token(booking_id=booking.pk, client_id=booking.client_id)
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")

    response = client.post(_link(booking, forged), GOOD)

    assert response.status_code == 400
    assert "The link is not complete or has been changed" in response.content.decode()
    assert not Feedback.objects.exists()


def test_a_link_reused_for_another_booking_is_refused(client):
    mine = past_visit()
    other = past_visit()  # someone else's visit
    token = tokens.feedback_token(booking_id=mine.pk, client_id=mine.client_id)

    response = client.post(_link(other, token), GOOD)

    assert response.status_code == 403
    assert "made for a different visit" in response.content.decode()
    assert not Feedback.objects.exists()


def test_a_link_for_the_same_clients_other_visit_is_refused_too(client):
    first = past_visit(hours_ago=24 * 7)
    second = past_visit(client=first.client)
    token = tokens.feedback_token(booking_id=first.pk, client_id=first.client_id)

    assert client.get(_link(second, token)).status_code == 403


def test_a_token_signed_for_another_purpose_is_refused(client):
    booking = past_visit()
    unsubscribe = tokens.unsubscribe_token(client_id=booking.client_id, kind="reminders")

    assert client.get(_link(booking, unsubscribe)).status_code == 400


def test_feedback_waits_until_the_visit_is_completed(client):
    booking = factories.BookingFactory()  # confirmed, not yet happened

    response = client.get(_link(booking))

    assert response.status_code == 403
    assert "Feedback opens after the visit" in response.content.decode()


def test_the_client_gives_feedback_from_the_dashboard(client):
    booking = past_visit()
    client.force_login(booking.client.user)

    dashboard = client.get("/dashboard/").content.decode()
    url = reverse("aftercare:feedback", kwargs={"pk": booking.pk})
    assert url in dashboard

    assert client.post(url, GOOD).status_code == 302
    assert Feedback.objects.filter(booking=booking).exists()
    assert url not in client.get("/dashboard/").content.decode()


def test_another_client_cannot_give_feedback_on_my_visit(client):
    booking = past_visit()
    client.force_login(factories.ClientProfileFactory().user)

    url = reverse("aftercare:feedback", kwargs={"pk": booking.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, GOOD).status_code == 404
    assert not Feedback.objects.exists()


def test_bad_feedback_is_shown_on_the_form(client):
    booking = past_visit()
    response = client.post(_link(booking), {**GOOD, "soreness": "11", "rating": ""})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a rating from 1 to 5." in page
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("answers", "said"),
    [
        ({"soreness": "8"}, "soreness now: 8/10"),
        ({"pressure": "too_deep"}, "the pressure was: too deep"),
    ],
)
def test_the_therapist_is_told_at_once_about_high_soreness_or_too_deep_pressure(
    client, django_capture_on_commit_callbacks, answers, said
):
    booking = past_visit()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_link(booking), {**GOOD, **answers})

    assert len(mail.outbox) == 1
    alert = mail.outbox[0]
    assert alert.to == [booking.therapist.user.email]
    # What was said is in the body; the subject names no symptom (it shows on lock screens).
    assert said in alert.body
    assert alert.subject.startswith("Feedback after your visit on ")
    assert "sore" not in alert.subject and "deep" not in alert.subject
    assert "gentle corrective session" in alert.body
    assert Feedback.objects.get(booking=booking).therapist_alerted_at is not None


def test_high_soreness_in_one_area_alerts_the_therapist(django_capture_on_commit_callbacks):
    note = SessionNoteFactory(treated_areas=["calf-left"])
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_submit(
            booking=note.booking,
            soreness=2,
            pressure="right",
            rating=4,
            area_soreness={"calf-left": 9},
        )
    assert len(mail.outbox) == 1
    assert "Calf (left): 9/10" in mail.outbox[0].body


def test_the_therapist_is_told_only_once(django_capture_on_commit_callbacks):
    booking = past_visit()
    with django_capture_on_commit_callbacks(execute=True):
        services.feedback_submit(booking=booking, soreness=8, pressure="right", rating=4)
        services.feedback_submit(booking=booking, soreness=9, pressure="right", rating=4)
    assert len(mail.outbox) == 1
    assert Feedback.objects.count() == 1


def test_too_deep_offers_a_lighter_pressure_preference_the_client_can_accept(client):
    intake = factories.IntakeFactory(pressure=Intake.Pressure.FIRM)
    factories.PainAreaFactory(intake=intake, region="neck-back", intensity=5, refers_to=["head"])
    booking = past_visit(intake=intake)
    feedback = services.feedback_submit(booking=booking, soreness=4, pressure="too_deep", rating=4)
    assert (feedback.suggested_pressure, feedback.suggestion_status) == ("medium", "offered")

    client.force_login(booking.client.user)
    dashboard = client.get("/dashboard/").content.decode()
    assert "Change your pressure preference to “medium”" in dashboard

    response = client.post(
        reverse("aftercare:pressure_suggestion", kwargs={"pk": feedback.pk}), {"answer": "accept"}
    )

    assert response.status_code == 302
    newest = booking.client.intakes.order_by("-version").first()
    assert newest.version == intake.version + 1
    assert newest.pressure == Intake.Pressure.MEDIUM
    # Everything else carried over to the new version.
    assert newest.reasons == intake.reasons
    assert [(a.region, a.intensity, a.refers_to) for a in newest.pain_areas.all()] == [
        ("neck-back", 5, ["head"])
    ]
    feedback.refresh_from_db()
    assert feedback.suggestion_status == Feedback.Suggestion.ACCEPTED
    assert "Change your pressure preference" not in client.get("/dashboard/").content.decode()


def test_too_light_offers_a_firmer_preference_which_the_client_can_decline(client):
    intake = factories.IntakeFactory(pressure=Intake.Pressure.LIGHT)
    booking = past_visit(intake=intake)
    feedback = services.feedback_submit(booking=booking, soreness=1, pressure="too_light", rating=3)
    assert feedback.suggested_pressure == "medium"

    client.force_login(booking.client.user)
    client.post(
        reverse("aftercare:pressure_suggestion", kwargs={"pk": feedback.pk}), {"answer": "decline"}
    )

    feedback.refresh_from_db()
    assert feedback.suggestion_status == Feedback.Suggestion.DECLINED
    assert booking.client.intakes.count() == 1


def test_another_user_cannot_answer_my_pressure_suggestion(client):
    booking = past_visit(intake=factories.IntakeFactory(pressure=Intake.Pressure.DEEP))
    feedback = services.feedback_submit(booking=booking, soreness=4, pressure="too_deep", rating=4)
    client.force_login(factories.ClientProfileFactory().user)

    response = client.post(
        reverse("aftercare:pressure_suggestion", kwargs={"pk": feedback.pk}), {"answer": "accept"}
    )

    assert response.status_code == 404
    assert booking.client.intakes.count() == 1


def test_no_suggestion_at_the_end_of_the_scale():
    assert services.suggested_pressure(current="light", feedback="too_deep") == ""
    assert services.suggested_pressure(current="deep", feedback="too_light") == ""
    assert services.suggested_pressure(current="firm", feedback="right") == ""


def test_ratings_average_and_count_for_the_profile():
    therapist = factories.TherapistProfileFactory()
    service = factories.ServiceFactory(therapist=therapist)
    for rating in (5, 4, 4):
        services.feedback_submit(
            booking=past_visit(service=service), soreness=2, pressure="right", rating=rating
        )
    factories.TherapistProfileFactory()  # someone else's ratings do not count

    rating = selectors.therapist_rating(therapist=therapist)

    assert rating.count == 3
    assert rating.average == Decimal("4.3")
    empty = selectors.therapist_rating(therapist=factories.TherapistProfileFactory())
    assert (empty.average, empty.count) == (None, 0)


def test_comments_show_only_after_staff_approve_them(client, staff_user):
    booking = past_visit()
    feedback = services.feedback_submit(
        booking=booking,
        soreness=2,
        pressure="right",
        rating=5,
        comment="Knew exactly where the knots were.",
    )
    assert selectors.therapist_reviews(therapist=booking.therapist) == []

    client.force_login(staff_user)
    response = client.post(
        "/admin/aftercare/feedback/",
        {"action": "approve_comments", "_selected_action": [feedback.pk]},
    )
    assert response.status_code == 302

    assert [f.comment for f in selectors.therapist_reviews(therapist=booking.therapist)] == [
        "Knew exactly where the knots were."
    ]
    # Changing the comment sends it back for review.
    services.feedback_submit(
        booking=booking, soreness=2, pressure="right", rating=5, comment="Edited after approval."
    )
    assert selectors.therapist_reviews(therapist=booking.therapist) == []


def test_rejected_comments_never_show(client, staff_user):
    booking = past_visit()
    feedback = services.feedback_submit(
        booking=booking, soreness=2, pressure="right", rating=1, comment="Rude words."
    )
    client.force_login(staff_user)
    client.post(
        "/admin/aftercare/feedback/",
        {"action": "reject_comments", "_selected_action": [feedback.pk]},
    )

    feedback.refresh_from_db()
    assert feedback.comment_status == Feedback.Moderation.REJECTED
    assert selectors.therapist_reviews(therapist=booking.therapist) == []
    # The rating still counts.
    assert selectors.therapist_rating(therapist=booking.therapist).count == 1


def test_feedback_is_in_the_file_for_the_next_therapist_but_not_for_strangers():
    booking = past_visit(hours_ago=24 * 3)
    services.feedback_submit(booking=booking, soreness=8, pressure="too_deep", rating=3)
    next_visit = factories.BookingFactory(client=booking.client)
    stranger = factories.TherapistProfileFactory()

    def visible_to(user):
        return selectors.feedback_for_viewer(client=booking.client, user=user, context="test")

    assert len(visible_to(next_visit.therapist.user)) == 1
    assert not visible_to(stranger.user)
    assert not visible_to(factories.ClientProfileFactory().user)
    assert len(visible_to(booking.client.user)) == 1


def test_the_token_check_itself():
    booking = past_visit()
    token = tokens.feedback_token(booking_id=booking.pk, client_id=booking.client_id)
    claim = tokens.feedback_token_check(token, booking_id=booking.pk)
    assert (claim.booking_id, claim.client_id) == (booking.pk, booking.client_id)
    with pytest.raises(tokens.LinkRefused) as refused:
        tokens.feedback_token_check(token, booking_id=booking.pk, max_age=dt.timedelta(seconds=-1))
    assert (refused.value.reason, refused.value.status) == ("expired", 403)
