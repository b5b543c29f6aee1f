"""Every entry point × every booking rule.

A booking rule has one home (``booking.policy``, enforced by ``booking.services``). This table
drives each door a user or operator can come through (the booking flow, the series flow, signed
e-mail links, the dashboard pages, admin) into each rule, and checks that the door refuses with
the rule's own sentence and that nothing was written.

The last test reads the source: every call of a booking write service outside the services
themselves must be a door listed in ``DOORS`` below (with rows in this table) or an internal
caller listed in ``INTERNAL``. Adding an entry point without its row fails it.
"""

from __future__ import annotations

import ast
import datetime as dt
import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aftercare.models import BookingSeries, SeriesVisit
from booking import links, policy
from booking.models import Booking
from booking.selectors import available_slots
from booking.templatetags.booking_tags import slot_value
from clients.models import Intake
from tests import factories
from tests.booking.conftest import open_all_week

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class World:
    therapist: object
    service: object
    client: object
    staff: object

    def slot(self, index: int = 0, *, days_ahead: int = 2) -> dt.datetime:
        tz = self.therapist.tz
        day = timezone.localtime(timezone.now(), tz).date() + dt.timedelta(days=days_ahead)
        return available_slots(
            therapist=self.therapist, service=self.service, start_date=day, days=1
        )[index]


@pytest.fixture
def world(db) -> World:
    service = factories.ServiceFactory(therapist__min_notice_hours=0)
    open_all_week(service.therapist)
    return World(
        therapist=service.therapist,
        service=service,
        client=factories.BookableClientFactory(),
        staff=factories.StaffFactory(),
    )


def _page(response) -> str:
    return html.unescape(response.content.decode())


# --- The doors that create bookings ---------------------------------------------------------------


def via_booking_flow(world: World, http: Client) -> str:
    http.force_login(world.client.user)
    slot = world.slot()
    return _page(
        http.post(
            reverse("booking:review"),
            {
                "therapist": world.therapist.pk,
                "service": world.service.pk,
                "starts_at": slot_value(slot),
            },
            follow=True,
        )
    )


def via_series_flow(world: World, http: Client) -> str:
    http.force_login(world.client.user)
    first = world.slot()
    return _page(
        http.post(
            reverse("aftercare:series_new"),
            {
                "therapist": world.therapist.pk,
                "service": world.service.pk,
                "step": "confirm",
                "count": "2",
                "interval_weeks": "1",
                "visit_0": first.isoformat(),
                "visit_1": (first + dt.timedelta(weeks=1)).isoformat(),
            },
            follow=True,
        )
    )


def via_admin_booking(world: World, http: Client) -> str:
    http.force_login(world.staff)
    return _page(
        http.post(
            reverse("admin:booking_booking_add"),
            {
                "client": world.client.pk,
                "service": world.service.pk,
                "starts_at": world.slot().isoformat(),
                "_book": "1",
            },
            follow=True,
        )
    )


CREATE_DOORS: dict[str, Callable[[World, Client], str]] = {
    "booking flow": via_booking_flow,
    "series flow": via_series_flow,
    "admin: book for a client": via_admin_booking,
}


def no_intake(world: World) -> str:
    world.client.intakes.all().delete()
    return str(policy.IntakeRequired.default_message)


def outdated_intake(world: World) -> str:
    Intake.objects.filter(client=world.client).update(
        created_at=timezone.now() - dt.timedelta(days=200)
    )
    return str(policy.IntakeOutdated.default_message)


def clearance_not_acknowledged(world: World) -> str:
    Intake.objects.filter(client=world.client).update(screening=[Intake.Screening.CLOT])
    return str(policy.ClearanceRequired.default_message)


def not_taking_new_clients(world: World) -> str:
    world.therapist.accepts_new_clients = False
    world.therapist.save()
    return f"{world.therapist.display_name} is not taking new clients at the moment."


def therapist_not_approved(world: World) -> str:
    world.therapist.approval = world.therapist.Approval.PENDING
    world.therapist.save()
    return str(policy.TherapistUnavailable.default_message)


def out_of_area(world: World) -> str:
    world.client.latitude, world.client.longitude = 34.09, -118.41  # Beverly Hills
    world.client.save()
    return str(policy.OutOfArea.default_message)


CREATE_RULES = {
    "no intake": no_intake,
    "intake older than six months": outdated_intake,
    "clearance not acknowledged": clearance_not_acknowledged,
    "therapist not taking new clients": not_taking_new_clients,
    "therapist not approved": therapist_not_approved,
    "address outside the area": out_of_area,
}

# An unapproved therapist's services are not offered at all on the client's pages: those doors
# say so in their own words before the service is reached.
NOT_OFFERED = {
    ("booking flow", "therapist not approved"): "not available for booking",
    ("series flow", "therapist not approved"): "Not Found",
    ("admin: book for a client", "therapist not approved"): "Select a valid choice",
}


@pytest.mark.parametrize("rule", list(CREATE_RULES))
@pytest.mark.parametrize("door", list(CREATE_DOORS))
def test_every_door_that_books_refuses_every_rule_with_its_message(world, client, door, rule):
    message = CREATE_RULES[rule](world)
    page = CREATE_DOORS[door](world, client)
    expected = NOT_OFFERED.get((door, rule), message)
    assert expected in page, f"{door} did not say why ({rule})"
    assert not Booking.objects.exists(), f"{door} booked despite: {rule}"


@pytest.mark.parametrize("door", list(CREATE_DOORS))
def test_every_door_that_books_books_when_every_rule_passes(world, client, door):
    CREATE_DOORS[door](world, client)
    assert Booking.objects.filter(client=world.client).exists(), door


# --- The doors through which a client changes a visit --------------------------------------------


def _booked(world: World, *, hours_ahead: float) -> Booking:
    starts = (timezone.now() + dt.timedelta(hours=hours_ahead)).replace(
        minute=0, second=0, microsecond=0
    )
    return factories.BookingFactory(client=world.client, service=world.service, starts_at=starts)


def cancel_page(world: World, http: Client, booking: Booking) -> str:
    http.force_login(world.client.user)
    url = reverse("booking:cancel", kwargs={"pk": booking.pk})
    return _page(http.post(url, {"reason": "busy"}, follow=True))


def reschedule_page(world: World, http: Client, booking: Booking) -> str:
    http.force_login(world.client.user)
    url = reverse("booking:reschedule", kwargs={"pk": booking.pk})
    return _page(http.post(url, {"starts_at": slot_value(world.slot(days_ahead=3))}, follow=True))


def cancel_link(world: World, http: Client, booking: Booking) -> str:
    url = links.manage_url(booking_id=booking.pk, action="cancel")
    return _page(http.post(url, {"reason": "busy"}, follow=True))


def reschedule_link(world: World, http: Client, booking: Booking) -> str:
    url = links.manage_url(booking_id=booking.pk, action="reschedule")
    return _page(http.post(url, {"starts_at": slot_value(world.slot(days_ahead=3))}, follow=True))


def series_cancel_one(world: World, http: Client, booking: Booking) -> str:
    series = BookingSeries.objects.create(
        client=world.client,
        therapist=world.therapist,
        service=world.service,
        interval_weeks=2,
        visit_count=2,
    )
    SeriesVisit.objects.create(series=series, booking=booking)
    http.force_login(world.client.user)
    url = reverse("aftercare:series_detail", kwargs={"pk": series.pk})
    return _page(http.post(url, {"booking": booking.pk}, follow=True))


def series_cancel_all(world: World, http: Client, booking: Booking) -> str:
    series = BookingSeries.objects.create(
        client=world.client,
        therapist=world.therapist,
        service=world.service,
        interval_weeks=2,
        visit_count=2,
    )
    SeriesVisit.objects.create(series=series, booking=booking)
    http.force_login(world.client.user)
    url = reverse("aftercare:series_detail", kwargs={"pk": series.pk})
    return _page(http.post(url, {"action": "cancel_all"}, follow=True))


def admin_cancel_for_client(world: World, http: Client, booking: Booking) -> str:
    http.force_login(world.staff)
    return _page(
        http.post(
            reverse("admin:booking_booking_changelist"),
            {
                "action": "cancel_for_client",
                "_selected_action": [booking.pk],
                "confirmed": "1",
                "reason": "The client called.",
            },
            follow=True,
        )
    )


def admin_move_for_client(world: World, http: Client, booking: Booking) -> str:
    http.force_login(world.staff)
    return _page(
        http.post(
            reverse("admin:booking_booking_move", args=[booking.pk]),
            {"starts_at": slot_value(world.slot(days_ahead=3)), "for_client": "on"},
            follow=True,
        )
    )


CHANGE_DOORS: dict[str, tuple[str, Callable[[World, Client, Booking], str]]] = {
    "dashboard: cancel": ("cancel", cancel_page),
    "dashboard: move": ("move", reschedule_page),
    "e-mail link: cancel": ("cancel", cancel_link),
    "e-mail link: move": ("move", reschedule_link),
    "series: cancel one visit": ("cancel", series_cancel_one),
    "series: cancel all": ("cancel", series_cancel_all),
    "admin: cancel at the client's request": ("cancel", admin_cancel_for_client),
    "admin: move at the client's request": ("move", admin_move_for_client),
}


@pytest.mark.parametrize("door", list(CHANGE_DOORS))
def test_every_door_a_client_changes_a_visit_through_refuses_inside_the_cutoff(world, client, door):
    action, drive = CHANGE_DOORS[door]
    booking = _booked(world, hours_ahead=5)  # inside the 24-hour cut-off
    page = drive(world, client, booking)
    assert policy.cutoff_message(action) in page, door
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED, door
    assert booking.events.count() == 0, door


@pytest.mark.parametrize("door", list(CHANGE_DOORS))
def test_every_door_a_client_changes_a_visit_through_works_before_the_cutoff(world, client, door):
    action, drive = CHANGE_DOORS[door]
    booking = _booked(world, hours_ahead=48)
    original = booking.starts_at
    drive(world, client, booking)
    booking.refresh_from_db()
    if action == "cancel":
        assert booking.status == Booking.Status.CANCELLED, door
    else:
        assert booking.starts_at != original, door


def test_staff_acting_for_the_business_may_cancel_inside_the_cutoff(world, client):
    booking = _booked(world, hours_ahead=5)
    client.force_login(world.staff)
    client.post(
        reverse("admin:booking_booking_changelist"),
        {
            "action": "cancel_for_business",
            "_selected_action": [booking.pk],
            "confirmed": "1",
            "reason": "The therapist is ill.",
        },
    )
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_staff_acting_for_the_business_may_move_inside_the_cutoff(world, client):
    booking = _booked(world, hours_ahead=5)
    original = booking.starts_at
    client.force_login(world.staff)
    client.post(
        reverse("admin:booking_booking_move", args=[booking.pk]),
        {"starts_at": slot_value(world.slot(days_ahead=3))},
    )
    booking.refresh_from_db()
    assert booking.starts_at != original
    assert booking.events.last().action == "rescheduled"


def test_the_therapists_door_refuses_another_therapist(world, client):
    booking = _booked(world, hours_ahead=48)
    stranger = factories.TherapistProfileFactory()
    client.force_login(stranger.user)
    url = reverse("booking:visit_action", kwargs={"pk": booking.pk})
    assert client.post(url, {"action": "cancel"}).status_code == 404
    with pytest.raises(policy.NotAllowed):
        from booking.services import booking_cancel

        booking_cancel(booking=booking, actor=stranger.user)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_erasing_a_client_cancels_their_visits_even_inside_the_cutoff(world, client):
    booking = _booked(world, hours_ahead=5)
    client.force_login(world.staff)
    url = reverse("backoffice:client_erase", args=[world.client.pk])
    assert client.post(url, {"confirm": "on"}).status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.events.get().actor == world.staff


# --- The doors through which the therapist or staff answer and close a visit -------------------


def therapist_visit_page(world: World, http: Client, booking: Booking, action: str) -> str:
    http.force_login(world.therapist.user)
    url = reverse("booking:visit_action", kwargs={"pk": booking.pk})
    return _page(http.post(url, {"action": action}, follow=True))


ADMIN_ACTIONS = {"confirm": "confirm", "complete": "mark_completed", "no_show": "mark_no_show"}


def admin_action(world: World, http: Client, booking: Booking, action: str) -> str:
    http.force_login(world.staff)
    return _page(
        http.post(
            reverse("admin:booking_booking_changelist"),
            {"action": ADMIN_ACTIONS[action], "_selected_action": [booking.pk]},
            follow=True,
        )
    )


ANSWER_DOORS: dict[str, Callable[[World, Client, Booking, str], str]] = {
    "therapist's visit page": therapist_visit_page,
    "admin action": admin_action,
}

# action, the booking's state, the rule's sentence
ANSWER_RULES = {
    "complete before the visit started": (
        "complete",
        {"hours_ahead": 48},
        "A visit can be marked completed once it has started.",
    ),
    "no-show before the visit started": (
        "no_show",
        {"hours_ahead": 48},
        "A visit can be marked as a no-show once it has started.",
    ),
    "confirm a visit already confirmed": (
        "confirm",
        {"hours_ahead": 48},
        "This visit is now confirmed; nothing was changed.",
    ),
}


@pytest.mark.parametrize("rule", list(ANSWER_RULES))
@pytest.mark.parametrize("door", list(ANSWER_DOORS))
def test_every_door_that_answers_a_visit_refuses_with_the_rules_sentence(world, client, door, rule):
    action, state, message = ANSWER_RULES[rule]
    booking = _booked(world, **state)
    page = ANSWER_DOORS[door](world, client, booking, action)
    assert message in page, f"{door} did not say why ({rule})"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED, door
    assert booking.events.count() == 0, door


@pytest.mark.parametrize("door", list(ANSWER_DOORS))
def test_every_door_that_answers_a_visit_closes_one_that_started(world, client, door):
    booking = _booked(world, hours_ahead=-2)
    ANSWER_DOORS[door](world, client, booking, "complete")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.COMPLETED, door


# --- No door without its row ----------------------------------------------------------------------

WRITE_SERVICES = {
    "booking_create",
    "booking_reschedule",
    "booking_cancel",
    "booking_confirm",
    "booking_decline",
    "booking_complete",
    "booking_mark_no_show",
    "booking_expire",
    "series_create",
    "series_cancel",
    "series_visit_cancel",
    "session_note_save",
}

# Each place outside the services that calls a booking write service, and the rows above (or
# the other tests) that cover it.
DOORS = {
    "booking.views:review": "booking flow",
    "booking.views:_cancel_page": "dashboard: cancel, e-mail link: cancel",
    "booking.views:_reschedule_page": "dashboard: move, e-mail link: move",
    "booking.views:visit_action": "the therapist's door (test above)",
    "booking.admin:BookingAdmin.add_view": "admin: book for a client",
    "booking.admin:BookingAdmin._cancel": "admin: cancel at the client's request / business",
    "booking.admin:BookingAdmin.move_view": "admin: move at the client's request",
    "booking.admin:BookingAdmin.confirm": "admin action (the answer doors above)",
    "booking.admin:BookingAdmin.mark_completed": "admin action (the answer doors above)",
    "booking.admin:BookingAdmin.mark_no_show": "admin action (the answer doors above)",
    "aftercare.views:_series_confirm": "series flow",
    "aftercare.views:series_detail": "series: cancel one visit, series: cancel all",
    "aftercare.views:session_note": "notes complete a visit (tests/aftercare/test_notes.py)",
    "booking.tasks:expire_pending_bookings": "the system, no client rule (test_tasks_admin_demo)",
    "backoffice.privacy:client_erase": "staff for the business, no cut-off (test below)",
    "backoffice.suspension:therapist_suspend_with_visits": (
        "admin: suspend a therapist and cancel their visits for the business, no cut-off "
        "(tests/backoffice/test_suspend.py)"
    ),
}
# Services calling services, and demo data: they add no door of their own.
INTERNAL = {
    "booking.services:_expire_stale_pending",
    "aftercare.services:series_create",
    "aftercare.services:series_cancel",
    "aftercare.services:series_visit_cancel",
    "aftercare.services:session_note_save",
    "booking.demo:_upcoming_visit",
}


def _call_sites() -> set[str]:
    sites: set[str] = set()
    for path in ROOT.glob("*/**/*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {"tests", "bench", "scripts", ".venv", "var"} or "migrations" in parts:
            continue
        module = ".".join(parts)[: -len(".py")]
        tree = ast.parse(path.read_text())

        def visit(node: ast.AST, scope: list[str], module: str = module) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                    visit(child, [*scope, child.name])
                    continue
                if isinstance(child, ast.Call):
                    func = child.func
                    name = getattr(func, "id", None) or getattr(func, "attr", None)
                    if name in WRITE_SERVICES and scope:
                        sites.add(f"{module}:{'.'.join(scope)}")
                visit(child, scope)

        visit(tree, [])
    return {s for s in sites if not s.startswith(("booking.services:booking_", "booking.policy"))}


def test_no_entry_point_calls_a_booking_write_without_its_row():
    sites = _call_sites()
    unknown = sites - set(DOORS) - INTERNAL
    assert not unknown, f"entry points without a row in this table: {sorted(unknown)}"
    gone = (set(DOORS) | INTERNAL) - sites
    assert not gone, f"rows for entry points that no longer exist: {sorted(gone)}"
