"""Each user's time zone: stored, chosen, guessed at sign-up, used on pages and in notifications."""

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts import zones
from accounts.forms import ProfileForm
from accounts.models import Notification, User
from accounts.notifications import notification_email
from tests.factories import UserFactory
from tests.orders.builders import fund, make_order, ms

pytestmark = pytest.mark.django_db

TOKYO, NEW_YORK = zoneinfo.ZoneInfo("Asia/Tokyo"), zoneinfo.ZoneInfo("America/New_York")


# --- the field -------------------------------------------------------------------------------------
def test_a_new_user_gets_the_sites_zone(settings):
    assert UserFactory().time_zone == settings.TIME_ZONE


@pytest.mark.parametrize("name", ["Mars/Olympus", "asia/tokyo", "", "Europe/Paris; DROP TABLE", "x" * 64])
def test_an_unknown_zone_is_refused_by_the_model(name):
    user = UserFactory.build(time_zone=name)
    with pytest.raises(ValidationError) as refused:
        user.full_clean(exclude=["password"])
    assert "time_zone" in refused.value.message_dict


def test_every_zone_offered_in_the_profile_is_accepted_by_the_model():
    offered = ["UTC"] + [value for _, options in zones.choices()[1:] for value, _ in options]
    assert "UTC" in offered and "Asia/Tokyo" in offered and "America/New_York" in offered
    assert all(zones.is_valid(name) for name in offered)


# --- the profile -----------------------------------------------------------------------------------
def test_the_profile_saves_the_chosen_zone(client, user):
    client.force_login(user)
    response = client.post(reverse("profile_edit"), {"display_name": "Jo", "bio": "", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "Asia/Tokyo"
    page = client.get(reverse("profile_edit")).content.decode()
    assert '<option value="Asia/Tokyo" selected>' in page


def test_an_unknown_zone_in_the_profile_is_refused_next_to_the_field(client, user):
    client.force_login(user)
    response = client.post(reverse("profile_edit"), {"display_name": "Changed", "bio": "", "time_zone": "Mars/Base"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "Choose a time zone from the list" in form.errors["time_zone"][0]
    assert "Choose a time zone from the list" in response.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "UTC" and user.display_name != "Changed"


def test_a_profile_form_without_the_field_keeps_the_zone(user):
    user.time_zone = "Europe/Paris"
    user.save()
    form = ProfileForm({"display_name": "Jo", "bio": ""}, instance=user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["time_zone"] == "Europe/Paris"


# --- sign-up ---------------------------------------------------------------------------------------
def signup(client, **extra):
    data = {"email": "new@example.com", "password1": "a-Strong-pass-4821", "password2": "a-Strong-pass-4821"}
    return client.post(reverse("account_signup"), {**data, **extra})


@pytest.mark.parametrize(
    ("guess", "kept"), [("Asia/Kolkata", "Asia/Kolkata"), ("Asia/Calcutta", "Asia/Kolkata"), ("Etc/UTC", "UTC")]
)
def test_signup_keeps_the_browsers_zone_by_its_current_name(client, guess, kept):
    assert signup(client, time_zone=guess).status_code == 302
    assert User.objects.get(email="new@example.com").time_zone == kept


@pytest.mark.parametrize("guess", ["Not/AZone", "<script>", "", " ", "a" * 500])
def test_signup_with_a_garbage_zone_falls_back_to_the_default_quietly(client, settings, guess):
    response = signup(client, time_zone=guess)
    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").time_zone == settings.TIME_ZONE


def test_signup_without_a_zone_gets_the_default(client, settings):
    assert signup(client).status_code == 302
    assert User.objects.get(email="new@example.com").time_zone == settings.TIME_ZONE


def test_the_signup_page_has_the_hidden_field_and_its_script(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'type="hidden" name="time_zone"' in page and "data-tz-guess" in page
    assert "js/timezone.js" in page


# --- pages: the middleware ---------------------------------------------------------------------------
def expected(moment, zone, abbreviation):
    local = moment.astimezone(zone)
    assert local.tzname() == abbreviation
    return f"{local:%d %b %Y, %H:%M} {abbreviation}"


@pytest.mark.parametrize(("zone", "abbreviation"), [("Asia/Tokyo", "JST"), ("America/New_York", "EST")])
def test_the_order_page_shows_the_due_time_in_the_viewers_zone(client, zone, abbreviation):
    order = make_order(10000)
    milestone = fund(ms(order, 1))
    assert milestone.due_at is not None
    seller = order.seller
    seller.time_zone = zone
    seller.save()
    client.force_login(seller)
    page = client.get(order.get_absolute_url()).content.decode()
    shown = expected(milestone.due_at, zoneinfo.ZoneInfo(zone), abbreviation)
    assert shown in page
    assert (
        f'<time datetime="{milestone.due_at.astimezone(zoneinfo.ZoneInfo(zone)).isoformat(timespec="seconds")}">'
        in page
    )
    assert " UTC" not in page.split('id="milestone-')[1].split("</li>")[0] or zone == "UTC"


def test_the_zone_is_put_back_after_each_request(client, user):
    user.time_zone = "Asia/Tokyo"
    user.save()
    client.force_login(user)
    client.get(reverse("profile_edit"))
    assert timezone.get_current_timezone_name() == "UTC"


def test_anonymous_visitors_see_the_sites_zone(client, settings):
    client.get("/")
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


# --- notifications and emails: the recipient's zone -------------------------------------------------
def test_a_notification_names_the_due_time_in_its_recipients_zone(mailoutbox):
    seller = UserFactory(time_zone="Asia/Tokyo")
    buyer = UserFactory(time_zone="America/New_York")
    order = make_order(10000, buyer=buyer, seller=seller)
    milestone = fund(ms(order, 1))
    started = Notification.objects.get(user=seller, text__contains="has started")
    assert f"It is due {milestone.due_at.astimezone(TOKYO):%d %b, %H:%M} JST." in started.text
    assert "UTC" not in started.text
    assert notification_email(started.pk)
    (mail,) = mailoutbox
    assert mail.to == [seller.email] and "JST" in mail.subject and "JST" in mail.body


# --- the filters -----------------------------------------------------------------------------------
NOON = datetime(2026, 12, 3, 12, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(days=3), "3 days left"),
        (timedelta(days=1), "1 day left"),
        (timedelta(hours=11, minutes=59), "11 hours left"),  # 23:59 the same day
        (timedelta(hours=1), "1 hour left"),
        (timedelta(minutes=59), "59 minutes left"),
        (timedelta(minutes=1), "1 minute left"),
        (timedelta(seconds=30), "due today"),
        (timedelta(0), "due today"),
        (timedelta(seconds=-30), "due today"),
        (timedelta(minutes=-2), "2 minutes late"),
        (timedelta(hours=-1), "1 hour late"),
        (timedelta(hours=-12), "12 hours late"),  # 00:00 the same day
        (timedelta(hours=-12, seconds=-1), "1 day late"),  # 23:59:59 the day before
        (timedelta(days=-2), "2 days late"),
    ],
)
def test_time_left_words_and_boundaries(delta, words):
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert zones.time_left(NOON + delta, now=NOON) == words


def test_time_left_counts_days_in_the_viewers_zone():
    due = datetime(2026, 12, 4, 0, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))  # 09:30 in Tokyo, 19:30 the 3rd in NY
    with timezone.override(TOKYO):
        assert zones.time_left(due, now=NOON) == "1 day left"  # noon UTC is 21:00 the 3rd in Tokyo
    with timezone.override(NEW_YORK):
        assert zones.time_left(due, now=NOON) == "12 hours left"  # both on the 3rd in New York


def test_time_left_of_a_date():
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert zones.time_left(date(2026, 12, 3), now=NOON) == "due today"
        assert zones.time_left(date(2026, 12, 5), now=NOON) == "2 days left"


def test_time_left_reads_the_project_clock(clock):
    due = clock.now() + timedelta(days=5, minutes=1)
    clock.advance(days=2)
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert render("{{ due|time_left }}", due=due) == "3 days left"


def render(source, **context):
    return Template("{% load when %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Europe/Paris", "3 Dec 2026, 13:00 CET"),
        ("Asia/Tokyo", "3 Dec 2026, 21:00 JST"),
        ("America/New_York", "3 Dec 2026, 07:00 EST"),
        ("Asia/Dubai", "3 Dec 2026, 16:00 UTC+04"),  # no letters of its own: the offset
        ("Asia/Kolkata", "3 Dec 2026, 17:30 IST"),
        ("Asia/Kathmandu", "3 Dec 2026, 17:45 UTC+05:45"),
        ("UTC", "3 Dec 2026, 12:00 UTC"),
    ],
)
def test_when_names_the_zone(zone, shown):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        html = render("{{ t|when }}", t=NOON)
    local = NOON.astimezone(zoneinfo.ZoneInfo(zone))
    assert html == f'<time datetime="{local.isoformat(timespec="seconds")}">{shown}</time>'


def test_when_takes_a_format_and_when_date_gives_the_local_day():
    late = datetime(2026, 12, 3, 20, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))
    with timezone.override(TOKYO):
        assert (
            render('{{ t|when:"d M, H:i" }}', t=late)
            == f'<time datetime="{late.astimezone(TOKYO).isoformat()}">04 Dec, 05:00 JST</time>'
        )
        assert render("{{ t|when_date }}", t=late) == '<time datetime="2026-12-04">4 Dec 2026</time>'


def test_the_filters_leave_nothing_for_a_missing_time():
    assert render("[{{ t|when }}][{{ t|when_date }}][{{ t|time_left }}]", t=None) == "[][][]"
