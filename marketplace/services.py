"""Every write of the marketplace: one function per action a person (or another app) takes.

Services are keyword-only, run in a transaction, lock what they change and raise
a ``marketplace.exceptions.MarketplaceError`` with a readable message.
"""

import logging
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from io import BytesIO

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.defaultfilters import pluralize
from django.utils.text import slugify
from django_fsm import can_proceed
from PIL import Image, ImageOps

from accounts.audit import staff_action_record
from accounts.models import Notification
from accounts.notifications import notification_email_now, notification_send, notifications_mark_read_for
from accounts.permissions import is_support
from config import clock, limits
from config.money import format_cents
from config.text import clean_line
from config.uploads import check_attachments, safe_name, validate_image_upload

from . import hooks
from .contact_filter import looks_off_platform
from .exceptions import InvalidInput, MarketplaceError, NotAllowed, SelfContactError
from .models import (
    MAX_GIG_IMAGES,
    MAX_GIG_TAGS,
    Category,
    Conversation,
    Gig,
    GigImage,
    GigPackage,
    GigStatus,
    Message,
    MessageAttachment,
    MessageKind,
    PackageMilestone,
    PackageTier,
    SellerStats,
    Tag,
    level_for,
)
from .selectors import is_top_rated  # noqa: F401 - re-exported: payments may import it from here

logger = logging.getLogger(__name__)

SEARCH_CONFIG = "english"
IMAGE_MAX_SIZE = (1600, 1200)  # the shown image fits inside this box
THUMB_SIZE = (640, 400)  # cards crop to this (16:10)
MAX_MESSAGE_LENGTH = 5000


# --- Gigs -------------------------------------------------------------------


@dataclass(frozen=True)
class PackageStepData:
    """One milestone of a package's plan, as the services take it."""

    title: str
    description: str
    amount_cents: int
    delivery_days: int
    revisions: int = 1


@dataclass(frozen=True)
class PackageData:
    """One tier of a gig's three packages, as the services take it; ``plan`` empty: no milestone plan."""

    tier: str
    name: str
    description: str
    price_cents: int
    delivery_days: int
    revisions: int = 1
    features: list[str] = field(default_factory=list)
    plan: tuple[PackageStepData, ...] = ()


@dataclass
class _Image:
    large: bytes
    thumb: bytes
    width: int
    height: int
    name: str


def _prepare_image(upload) -> _Image:
    """Check one upload and re-encode it (never store the uploaded bytes)."""
    try:
        validate_image_upload(upload, settings.UPLOAD_MAX_BYTES)
    except ValidationError as exc:
        name = safe_name(getattr(upload, "name", "") or "image")
        raise InvalidInput(f"{name}: {' '.join(exc.messages)} Nothing was saved.") from exc
    with Image.open(upload) as source:
        image = ImageOps.exif_transpose(source)
        if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        else:
            image = image.convert("RGB")
    large = image.copy()
    large.thumbnail(IMAGE_MAX_SIZE)
    thumb = ImageOps.fit(image, THUMB_SIZE)
    large_out, thumb_out = BytesIO(), BytesIO()
    large.save(large_out, format="JPEG", quality=85, optimize=True)
    thumb.save(thumb_out, format="JPEG", quality=80, optimize=True)
    upload.seek(0)
    base = safe_name(getattr(upload, "name", "") or "image").rsplit(".", 1)[0][:60] or "image"
    return _Image(large_out.getvalue(), thumb_out.getvalue(), large.width, large.height, f"{base}.jpg")


def _clean_tags(tags) -> list[str]:
    names = []
    for raw in tags or ():
        name = " ".join(clean_line(raw).lower().lstrip("#").split())[:30]
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_GIG_TAGS:
        raise InvalidInput(f"Use at most {MAX_GIG_TAGS} tags.")
    return names


def _clean_packages(packages) -> list[PackageData]:
    packages = list(packages or ())
    if not packages:
        return []
    tiers = [p.tier for p in packages]
    if sorted(tiers) != sorted(PackageTier.values):
        raise InvalidInput("Packages come as three: basic, standard and premium.")
    order = {tier: i for i, tier in enumerate(PackageTier.values)}
    packages.sort(key=lambda p: order[p.tier])
    for package in packages:
        label = PackageTier(package.tier).label
        if not package.name.strip() or not package.description.strip():
            raise InvalidInput(f"The {label} package needs a name and a description.")
        if package.price_cents <= 0:
            raise InvalidInput(f"The {label} package needs a price above zero.")
        if not 1 <= package.delivery_days <= limits.max_delivery_days():
            raise InvalidInput(f"The {label} package's delivery time must be 1 to {limits.max_delivery_days()} days.")
        if not 0 <= package.revisions <= limits.max_revisions():
            raise InvalidInput(f"The {label} package allows 0 to {limits.max_revisions()} revisions.")
        if package.plan:
            package_plan_check(
                label=label, price_cents=package.price_cents, delivery_days=package.delivery_days, plan=package.plan
            )
    prices = [p.price_cents for p in packages]
    if prices != sorted(prices):
        raise InvalidInput("Package prices must not go down from basic to standard to premium.")
    return packages


def package_plan_check(*, label: str, price_cents: int, delivery_days: int, plan) -> None:
    """THE rule of a package's milestone plan; raises ``InvalidInput`` saying what to change.

    The plan is checked as any milestone plan (``hooks.validate_plan``: the orders app's rules for how many
    steps, and for each step's title, amount, days and revisions), and its steps make up the package
    exactly: their amounts add up to its price, their days to its delivery time.
    """
    plan = list(plan)
    hooks.validate_plan(plan)
    total = sum(step.amount_cents for step in plan)
    if total != price_cents:
        raise InvalidInput(
            f"The {label} package's milestones add up to {format_cents(total)}, but its price is "
            f"{format_cents(price_cents)}: the amounts must add up to the price exactly."
        )
    days = sum(step.delivery_days for step in plan)
    if days != delivery_days:
        raise InvalidInput(
            f"The {label} package's milestones take {days} days in all, but its delivery time is "
            f"{delivery_days} days: make them equal (leave the package's delivery blank to use {days})."
        )


def _check_gig_fields(*, title, description, category, price_cents, delivery_days, packages):
    if not (title or "").strip():
        raise InvalidInput("A gig needs a title.")
    if not (description or "").strip():
        raise InvalidInput("A gig needs a description.")
    if not isinstance(category, Category) or category.parent_id is None:
        raise InvalidInput("Choose a subcategory for the gig.")
    if not packages:
        if not price_cents or price_cents <= 0:
            raise InvalidInput("Give a starting price, or three packages.")
        if not delivery_days or not 1 <= delivery_days <= limits.max_delivery_days():
            raise InvalidInput(f"The delivery time must be 1 to {limits.max_delivery_days()} days.")


def _unique_slug(title: str, *, exclude_pk=None) -> str:
    base = slugify(title)[:80].strip("-") or "gig"
    if base.isdigit():  # an all-digit slug would read as a gig id in the URL
        base = f"gig-{base}"
    taken = set(Gig.objects.filter(slug__startswith=base).exclude(pk=exclude_pk).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug = f"{base}-{n}"
        n += 1
    return slug


def _set_packages(gig: Gig, packages: list[PackageData]):
    """Each tier's row is updated in place (an open checkout names the package by its id); its plan's
    steps are written again."""
    GigPackage.objects.filter(gig=gig).exclude(tier__in=[p.tier for p in packages]).delete()
    for p in packages:
        package, _ = GigPackage.objects.update_or_create(
            gig=gig,
            tier=p.tier,
            defaults={
                "name": p.name.strip(),
                "description": p.description.strip(),
                "price_cents": p.price_cents,
                "delivery_days": p.delivery_days,
                "revisions": p.revisions,
                "features": [f.strip() for f in p.features if f and f.strip()][:10],
            },
        )
        PackageMilestone.objects.filter(package=package).delete()
        PackageMilestone.objects.bulk_create(
            PackageMilestone(
                package=package,
                position=position,
                title=clean_line(step.title),
                description=step.description.strip(),
                amount_cents=step.amount_cents,
                delivery_days=step.delivery_days,
                revisions=step.revisions,
            )
            for position, step in enumerate(p.plan, start=1)
        )


def _set_tags(gig: Gig, names: list[str]):
    tags = []
    for name in names:
        tag, _ = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    gig.tags.set(tags)


def gig_search_index_refresh(*, gig: Gig):
    """Recompute the gig's full-text vector (PostgreSQL only; a no-op on SQLite)."""
    if connection.vendor != "postgresql":
        return
    tags = " ".join(gig.tags.values_list("name", flat=True))
    category = gig.category
    category_words = f"{category.name} {category.parent.name if category.parent is not None else ''}"
    Gig.objects.filter(pk=gig.pk).update(
        search_vector=SearchVector(Value(gig.title), weight="A", config=SEARCH_CONFIG)
        + SearchVector(Value(f"{tags} {category_words}"), weight="B", config=SEARCH_CONFIG)
        + SearchVector(Value(gig.description), weight="C", config=SEARCH_CONFIG)
    )


def _store_images(gig: Gig, prepared: list[_Image], start_position: int) -> list[str | None]:
    """Write the prepared images; returns the stored names so a failure can remove them."""
    stored = []
    for offset, item in enumerate(prepared):
        image = GigImage(gig=gig, position=start_position + offset, width=item.width, height=item.height)
        image.image.save(item.name, ContentFile(item.large), save=False)
        stored.append(image.image.name)
        image.thumbnail.save(item.name, ContentFile(item.thumb), save=False)
        stored.append(image.thumbnail.name)
        image.save()
    return stored


def _delete_files_later(names):
    from django.core.files.storage import default_storage

    names = [n for n in names if n]

    def delete():
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("could not delete %s", name, exc_info=True)

    transaction.on_commit(delete, robust=True)


def _remove_stored(names):
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete %s", name, exc_info=True)


def gig_create(
    *,
    seller,
    title: str,
    description: str,
    category: Category,
    tags=(),
    price_cents: int | None = None,
    delivery_days: int | None = None,
    packages=(),
    offers_milestones: bool = False,
    images=(),
) -> Gig:
    """Publish a gig. With ``packages`` (all three tiers) the starting price and delivery come from them."""
    title = clean_line(title or "")
    packages = _clean_packages(packages)
    _check_gig_fields(
        title=title,
        description=description,
        category=category,
        price_cents=price_cents,
        delivery_days=delivery_days,
        packages=packages,
    )
    tag_names = _clean_tags(tags)
    images = list(images or ())
    if len(images) > MAX_GIG_IMAGES:
        raise InvalidInput(f"A gig can have at most {MAX_GIG_IMAGES} images.")
    prepared = [_prepare_image(upload) for upload in images]  # every check before anything is written
    if packages:
        price_cents = min(p.price_cents for p in packages)
        delivery_days = min(p.delivery_days for p in packages)
    assert price_cents is not None and delivery_days is not None  # checked by _check_gig_fields
    stored = []
    try:
        with transaction.atomic():
            now = clock.now()
            stats, _ = SellerStats.objects.get_or_create(seller=seller)
            gig = Gig.objects.create(
                seller=seller,
                seller_rating=stats.rating_avg or 0,
                seller_rating_count=stats.rating_count,
                title=title.strip(),
                slug=_unique_slug(title),
                description=description.strip(),
                category=category,
                price_cents=price_cents,
                delivery_days=delivery_days,
                offers_milestones=offers_milestones,
                created_at=now,
                updated_at=now,
            )
            _set_tags(gig, tag_names)
            _set_packages(gig, packages)
            stored = _store_images(gig, prepared, 0)
            gig_search_index_refresh(gig=gig)
    except BaseException:
        _remove_stored(stored)
        raise
    return gig


def _lock_own_gig(gig: Gig, actor) -> Gig:
    locked = Gig.objects.select_for_update(of=("self",)).select_related("category__parent").get(pk=gig.pk)
    if actor is None or locked.seller_id != actor.pk or locked.status == GigStatus.DELETED:
        raise NotAllowed("Only the gig's seller can change it.")
    return locked


def gig_update(
    *,
    gig: Gig,
    actor,
    title: str,
    description: str,
    category: Category,
    tags=(),
    price_cents: int | None = None,
    delivery_days: int | None = None,
    packages=(),
    offers_milestones: bool = False,
    new_images=(),
    remove_image_ids=(),
) -> Gig:
    """Change a gig (owner only). Packages replace the simple price; an empty ``packages`` removes them."""
    title = clean_line(title or "")
    packages = _clean_packages(packages)
    _check_gig_fields(
        title=title,
        description=description,
        category=category,
        price_cents=price_cents,
        delivery_days=delivery_days,
        packages=packages,
    )
    tag_names = _clean_tags(tags)
    new_images = list(new_images or ())
    stored = []
    try:
        with transaction.atomic():
            gig = _lock_own_gig(gig, actor)
            existing = list(gig.images.all())
            removed = [img for img in existing if img.pk in set(remove_image_ids or ())]
            kept = len(existing) - len(removed)
            if kept + len(new_images) > MAX_GIG_IMAGES:
                raise InvalidInput(
                    f"A gig can have at most {MAX_GIG_IMAGES} images; it has {kept}, "
                    f"so you can add {max(0, MAX_GIG_IMAGES - kept)} more."
                )
            prepared = [_prepare_image(upload) for upload in new_images]
            if packages:
                price_cents = min(p.price_cents for p in packages)
                delivery_days = min(p.delivery_days for p in packages)
            assert price_cents is not None and delivery_days is not None  # checked by _check_gig_fields
            gig.title = title.strip()
            gig.description = description.strip()
            gig.category = category
            gig.price_cents = price_cents
            gig.delivery_days = delivery_days
            gig.offers_milestones = offers_milestones
            gig.updated_at = clock.now()
            gig.save()
            _set_tags(gig, tag_names)
            _set_packages(gig, packages)
            if removed:
                GigImage.objects.filter(pk__in=[img.pk for img in removed]).delete()
                _delete_files_later([n for img in removed for n in (img.image.name, img.thumbnail.name)])
            last = max((img.position for img in existing if img not in removed), default=-1)
            stored = _store_images(gig, prepared, last + 1)
            gig_search_index_refresh(gig=gig)
    except BaseException:
        _remove_stored(stored)
        raise
    return gig


def _gig_set_status(*, gig: Gig, actor, status: str, transition: str) -> Gig:
    """Take the gig's ``transition`` to ``status``; a gig already there is left as it is."""
    with transaction.atomic():
        gig = _lock_own_gig(gig, actor)
        if gig.status != status:
            getattr(gig, transition)()
            gig.save(update_fields=["status", "updated_at"])
    return gig


def gig_pause(*, gig: Gig, actor) -> Gig:
    """Hide the gig from browsing and stop new contacts about it; the seller can resume it."""
    return _gig_set_status(gig=gig, actor=actor, status=GigStatus.PAUSED, transition="pause")


def gig_activate(*, gig: Gig, actor) -> Gig:
    return _gig_set_status(gig=gig, actor=actor, status=GigStatus.ACTIVE, transition="resume")


def gig_delete(*, gig: Gig, actor) -> Gig:
    """Soft delete: the gig leaves every listing for good; orders and conversations keep their link."""
    return _gig_set_status(gig=gig, actor=actor, status=GigStatus.DELETED, transition="soft_delete")


# What an operator may do to any gig from the Django admin: transition -> what the audit log says.
STAFF_GIG_TRANSITIONS = {"pause": "Paused the gig", "resume": "Resumed the gig", "soft_delete": "Deleted the gig"}


def gig_status_change_by_staff(*, gig_id: int, actor, transition: str) -> bool:
    """An operator pauses, resumes or deletes a gig (the admin's actions); audit-logged.

    Returns False (nothing written) when the gig's status does not allow ``transition``.
    """
    if actor is None or not is_support(actor):
        raise NotAllowed("Only support staff can change another seller's gig.")
    if transition not in STAFF_GIG_TRANSITIONS:
        raise NotAllowed("Unknown gig action.")
    with transaction.atomic():
        gig = Gig.objects.select_for_update().get(pk=gig_id)
        method = getattr(gig, transition)
        if not can_proceed(method):
            return False
        method()
        gig.save(update_fields=["status", "updated_at"])
        staff_action_record(
            staff=actor, action=f"gig_{transition}", target=f"gig {gig.pk}", detail=STAFF_GIG_TRANSITIONS[transition]
        )
    return True


def gig_staff_save(*, actor, form, formsets=()) -> Gig:
    """Support staff add or change a gig in the Django admin (``GigAdmin``): the admin's form and its
    inline formsets (packages, images) are saved here, then what every gig write does after them.

    With packages, the starting price and delivery time are the lowest of them (as ``gig_update`` keeps
    them); the search vector is recomputed from the saved title, tags, category and description; the
    audit log gets a row naming what changed. One transaction; support only (``accounts.permissions``).
    """
    if not is_support(actor):
        raise NotAllowed("Only support staff can change gigs here.")
    changed = list(form.changed_data) + [
        str(formset.model._meta.verbose_name_plural) for formset in formsets if formset.has_changed()
    ]
    with transaction.atomic():
        gig = form.save(commit=False)
        adding = gig._state.adding
        if adding:
            stats, _ = SellerStats.objects.get_or_create(seller=gig.seller)
            gig.seller_rating, gig.seller_rating_count = stats.rating_avg or 0, stats.rating_count
        gig.updated_at = clock.now()
        gig.save()
        form.save_m2m()
        for formset in formsets:
            formset.save()
        packages = list(gig.packages.all())
        if packages:
            gig.price_cents = min(p.price_cents for p in packages)
            gig.delivery_days = min(p.delivery_days for p in packages)
            gig.save(update_fields=["price_cents", "delivery_days"])
        gig_search_index_refresh(gig=gig)
        staff_action_record(
            staff=actor,
            action="gig_create" if adding else "gig_update",
            target=f"gig {gig.pk}",
            detail=f"Added the gig “{gig.title}” in the admin."
            if adding
            else f"Changed the gig “{gig.title}” in the admin: {', '.join(changed) or 'nothing'}.",
            data={"changed": changed},
        )
    return gig


# --- Seller stats -------------------------------------------------------------


def _to_rating(value) -> Decimal | None:
    if value is None:
        return None
    try:
        rating = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput("The rating must be a number from 1 to 5.") from exc
    if not Decimal("1") <= rating <= Decimal("5"):
        raise InvalidInput("The rating must be a number from 1 to 5.")
    return rating


@transaction.atomic
def seller_stats_update(
    *,
    seller,
    orders_completed: int,
    orders_on_time: int,
    rating_avg,
    rating_count: int,
    responses: tuple[int, int] | None = None,
) -> SellerStats:
    """Store the seller's counted figures and recompute their level (``models.LEVEL_RULES``).

    The one writer of ``SellerStats``' figures; its caller is the recount (``orders.stats``), which
    counts them from the rows (tests call it to set a seller up). ``rating_avg`` may be a Decimal, an
    int or a string; it is kept to two decimals. With ``rating_count == 0`` the rating is stored as
    empty. ``responses``: (seconds in all, replies counted) from ``seller_response_figures``; None
    leaves them as they are. A call that changes nothing writes nothing.
    """
    for name, value in (
        ("orders_completed", orders_completed),
        ("orders_on_time", orders_on_time),
        ("rating_count", rating_count),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InvalidInput(f"{name} must be a whole number of zero or more.")
    if orders_on_time > orders_completed:
        raise InvalidInput("Orders on time cannot exceed orders completed.")
    rating = _to_rating(rating_avg) if rating_count else None
    stats, _ = SellerStats.objects.select_for_update().get_or_create(seller=seller)
    before = _figures(stats)
    rating_changed = (stats.rating_avg, stats.rating_count) != (rating, rating_count)
    stats.orders_completed = orders_completed
    stats.orders_on_time = orders_on_time
    stats.rating_avg = rating
    stats.rating_count = rating_count
    if responses is not None:
        _set_responses(stats, *responses)
    stats.level = level_for(
        orders_completed=orders_completed, orders_on_time=orders_on_time, rating_avg=rating, rating_count=rating_count
    )
    if _figures(stats) != before:
        stats.updated_at = clock.now()
        stats.save()
    if rating_changed:
        gig_ratings_sync(seller_ids=[stats.seller_id])
    return stats


def _figures(stats: SellerStats) -> tuple:
    return (
        stats.orders_completed,
        stats.orders_on_time,
        stats.rating_avg,
        stats.rating_count,
        stats.response_seconds_total,
        stats.responses_counted,
        stats.avg_response_seconds,
        stats.level,
    )


def _set_responses(stats: SellerStats, total: int, counted: int) -> None:
    stats.response_seconds_total = total
    stats.responses_counted = counted
    stats.avg_response_seconds = total // counted if counted else None


def gig_ratings_sync(*, seller_ids=None) -> int:
    """Copy each seller's rating (SellerStats) onto their gigs, the browse order's sort key (one statement).

    ``seller_ids``: only these sellers' gigs; ``None``: every gig whose copy differs (the hourly recount,
    after a bulk load).
    """
    stats = SellerStats.objects.filter(seller_id=OuterRef("seller_id"))
    rating = Coalesce(Subquery(stats.values("rating_avg")[:1]), Value(Decimal(0)))
    count = Coalesce(Subquery(stats.values("rating_count")[:1]), Value(0))
    if seller_ids is None:
        drifted = Gig.objects.alias(rating_now=rating, count_now=count).exclude(
            seller_rating=F("rating_now"), seller_rating_count=F("count_now")
        )
        return drifted.update(seller_rating=rating, seller_rating_count=count)
    return Gig.objects.filter(seller_id__in=seller_ids).update(seller_rating=rating, seller_rating_count=count)


def seller_stats_staff_recount(*, actor, seller_ids) -> int:
    """Support's "Recount" (the admin's action): count the sellers' figures again from the rows, and
    leave an audit row naming who asked and what changed. How many sellers' figures changed."""
    if not is_support(actor):
        raise NotAllowed("Only support staff can recount seller stats.")
    seller_ids = sorted(set(seller_ids))
    with transaction.atomic():
        before = {row.seller_id: _figures(row) for row in SellerStats.objects.filter(seller_id__in=seller_ids)}
        hooks.stats_recount(seller_ids=seller_ids)
        after = {row.seller_id: _figures(row) for row in SellerStats.objects.filter(seller_id__in=seller_ids)}
        changed = sorted(pk for pk in after if before.get(pk) != after[pk])
        staff_action_record(
            staff=actor,
            action="seller_stats_recount",
            target=", ".join(f"user {pk}" for pk in seller_ids)[:200],
            detail=f"Recounted the stats of {len(seller_ids)} seller{pluralize(len(seller_ids))} from their orders, "
            "reviews and messages; "
            f"{len(changed)} changed.",
            data={"sellers": seller_ids, "changed": changed},
        )
    return len(changed)


def seller_response_figures(*, seller_ids=None) -> dict[int, tuple[int, int]]:
    """{seller id: (seconds in all, replies counted)} counted from their conversations' messages.

    The rule ``message_send`` applies as messages arrive: a buyer's message or request for an offer
    (``ASKS``) starts a wait unless one is running; the seller's next message or offer (``ANSWERS``)
    ends it; the wait is counted in whole seconds. Notices (an offer accepted, a delivery) neither
    start nor end one. Sellers with no reply are left out.
    """
    messages = Message.objects.filter(kind__in=[*ASKS, *ANSWERS])
    if seller_ids is not None:
        messages = messages.filter(conversation__seller_id__in=list(seller_ids))
    rows = messages.order_by("conversation_id", "created_at", "pk").values_list(
        "conversation_id", "conversation__buyer_id", "conversation__seller_id", "sender_id", "kind", "created_at"
    )
    figures: dict[int, tuple[int, int]] = {}
    current, waiting_since = None, None
    for conversation_id, buyer_id, seller_id, sender_id, kind, created_at in rows.iterator(chunk_size=2000):
        if conversation_id != current:
            current, waiting_since = conversation_id, None
        if sender_id == buyer_id and sender_id is not None:
            if waiting_since is None and kind in ASKS:
                waiting_since = created_at
        elif sender_id == seller_id and waiting_since is not None and kind in ANSWERS:
            total, counted = figures.get(seller_id, (0, 0))
            figures[seller_id] = (total + max(0, int((created_at - waiting_since).total_seconds())), counted + 1)
            waiting_since = None
    return figures


# What starts a wait for the seller's answer, and what answers it (the response time).
ASKS = (MessageKind.TEXT, MessageKind.REQUEST)
ANSWERS = (MessageKind.TEXT, MessageKind.OFFER)


def _record_response(*, seller_id: int, seconds: int):
    """One more reply counted, exactly as ``seller_response_figures`` counts it."""
    stats, _ = SellerStats.objects.select_for_update().get_or_create(seller_id=seller_id)
    _set_responses(stats, stats.response_seconds_total + max(0, seconds), stats.responses_counted + 1)
    stats.save(update_fields=["response_seconds_total", "avg_response_seconds", "responses_counted"])


# --- Conversations --------------------------------------------------------------


def conversation_start(*, buyer, seller, gig: Gig | None = None) -> Conversation:
    """The conversation between ``buyer`` (who makes contact) and ``seller``; created on first contact.

    With ``gig``, the conversation is marked as being about that gig.
    """
    if buyer is None or seller is None or buyer.pk == seller.pk:
        raise SelfContactError("You cannot start a conversation with yourself.")
    if not seller.is_active or not buyer.is_active:
        raise MarketplaceError("This account is no longer active.")
    if gig is not None and gig.seller_id != seller.pk:
        raise InvalidInput("That gig belongs to another seller.")
    with transaction.atomic():
        now = clock.now()
        conversation, created = Conversation.objects.get_or_create(
            buyer=buyer, seller=seller, defaults={"gig": gig, "created_at": now, "last_message_at": now}
        )
        if not created and gig is not None and conversation.gig_id != gig.pk:
            conversation.gig = gig
            conversation.save(update_fields=["gig"])
    return conversation


def _preview(body: str, files, kind: str) -> str:
    if body:
        text = " ".join(body.split())
        return text if len(text) <= 140 else text[:139] + "…"
    if files:
        return f"Attachment: {safe_name(files[0].name)}"[:140]
    return MessageKind(kind).label


def message_send(*, conversation: Conversation, sender, body: str, files=(), kind: str = "text", data=None) -> Message:
    """Deliver a message (with up to five checked attachments) from one party to the other.

    A message that shares contact details is delivered with its
    ``off_platform`` flag set (both sides see a warning). ``sender`` may be
    ``None`` only for ``kind="system"`` notices.
    """
    if kind not in MessageKind.values:
        raise InvalidInput("Unknown kind of message.")
    if sender is None and kind != MessageKind.SYSTEM:
        raise NotAllowed("Only system notices have no sender.")
    if sender is not None and sender.pk not in (conversation.buyer_id, conversation.seller_id):
        raise NotAllowed("You are not part of this conversation.")
    body = (body or "").strip()
    files = list(files or ())
    if not body and not files:
        raise InvalidInput("Write a message or attach a file.")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(f"A message can be at most {MAX_MESSAGE_LENGTH:,} characters long.")
    try:
        checked = check_attachments(files, per="message")
    except ValidationError as exc:
        refused_files = getattr(exc, "code", None) != "too_many"
        raise InvalidInput(" ".join(exc.messages) + (" Nothing was sent." if refused_files else "")) from exc
    stored = []
    try:
        with transaction.atomic():
            locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
            now = clock.now()
            message = Message.objects.create(
                conversation=locked,
                sender=sender,
                body=body,
                kind=kind,
                data=data or {},
                off_platform=looks_off_platform(body),
                created_at=now,
            )
            for upload in checked:
                attachment = MessageAttachment(message=message, name=upload.name, size=upload.file.size)
                upload.file.seek(0)
                attachment.file.save(upload.name, upload.file, save=False)
                stored.append(attachment.file.name)
                attachment.save()
            sender_id = sender.pk if sender is not None else None
            if sender_id == locked.buyer_id:
                locked.seller_unread += 1
                locked.buyer_unread = 0
                locked.buyer_unseen_since = None  # answering is seeing
                if locked.awaiting_seller_since is None and kind in ASKS:
                    locked.awaiting_seller_since = now
            elif sender_id == locked.seller_id:
                locked.buyer_unread += 1
                locked.seller_unread = 0
                locked.seller_unseen_since = None
                if locked.awaiting_seller_since is not None and kind in ANSWERS:
                    waited = int((now - locked.awaiting_seller_since).total_seconds())
                    _record_response(seller_id=locked.seller_id, seconds=waited)
                    locked.awaiting_seller_since = None
            else:
                locked.buyer_unread += 1
                locked.seller_unread += 1
            if kind == MessageKind.TEXT:  # the email of unseen messages is about what a person wrote
                if sender_id != locked.buyer_id and locked.buyer_unseen_since is None:
                    locked.buyer_unseen_since = now
                if sender_id != locked.seller_id and locked.seller_unseen_since is None:
                    locked.seller_unseen_since = now
            locked.last_message_at = now
            locked.last_message_preview = _preview(body, files, kind)
            locked.save(
                update_fields=[
                    "buyer_unread",
                    "seller_unread",
                    "buyer_unseen_since",
                    "seller_unseen_since",
                    "awaiting_seller_since",
                    "last_message_at",
                    "last_message_preview",
                ]
            )
    except BaseException:
        _remove_stored(stored)
        raise
    if kind == MessageKind.TEXT:
        # the other side is told in the bell (not by email: a conversation would send one per message)
        receiver_id = locked.seller_id if sender.pk == locked.buyer_id else locked.buyer_id
        notification_send(
            user_id=receiver_id,
            text=f"New message from {sender.public_name}: {_preview(body, files, kind)}",
            url=locked.get_absolute_url(),
            email=False,
        )
    return message


def unseen_messages_email(*, conversation: Conversation, side: str) -> bool:
    """``side`` ("buyer" or "seller") has left messages unseen since ``<side>_unseen_since``: email them once,
    as their newest "New message from …" notification (its bell entry stays as it is), or as a new notice when
    the bell's was already read. The caller holds the conversation's lock and has checked it is due."""
    user_id = getattr(conversation, f"{side}_id")
    unread = getattr(conversation, f"{side}_unread")
    if not unread:
        return False
    url = conversation.get_absolute_url()
    notice = Notification.objects.filter(user_id=user_id, url=url, read_at=None).order_by("-created_at", "-pk").first()
    if notice is not None:
        notification_email_now(notice)
    else:
        other = conversation.seller if side == "buyer" else conversation.buyer
        notification_send(
            user_id=user_id,
            text=f"You have {unread} unread message{'s' if unread != 1 else ''} from {other.public_name}.",
            url=url,
        )
    return True


def conversation_mark_read(*, conversation: Conversation, user) -> None:
    """The participant has seen every message so far."""
    if user.pk == conversation.buyer_id:
        Conversation.objects.filter(
            Q(buyer_unread__gt=0) | Q(buyer_unseen_since__isnull=False), pk=conversation.pk
        ).update(buyer_unread=0, buyer_unseen_since=None)
    elif user.pk == conversation.seller_id:
        Conversation.objects.filter(
            Q(seller_unread__gt=0) | Q(seller_unseen_since__isnull=False), pk=conversation.pk
        ).update(seller_unread=0, seller_unseen_since=None)
    else:
        raise NotAllowed("You are not part of this conversation.")
    notifications_mark_read_for(user=user, urls=[conversation.get_absolute_url()])  # "New message from …": seen


def _check_contactable(gig: Gig, buyer) -> Gig:
    """The gig as it is now (not as the caller last read it), if it takes contacts."""
    gig = Gig.objects.select_related("seller").get(pk=gig.pk)
    if gig.status != GigStatus.ACTIVE or not gig.seller.is_active:
        raise InvalidInput("This gig is not available at the moment.")
    if buyer is not None and buyer.pk == gig.seller_id:
        raise SelfContactError("This is your own gig: you cannot contact yourself.")
    return gig


def seller_contact(*, buyer, gig: Gig, body: str, files=()) -> Message:
    """The gig page's "Contact seller": opens (or reuses) the conversation and sends the first words."""
    with transaction.atomic():
        gig = _check_contactable(gig, buyer)
        conversation = conversation_start(buyer=buyer, seller=gig.seller, gig=gig)
        return message_send(conversation=conversation, sender=buyer, body=body, files=files)


def custom_offer_request_send(
    *, buyer, gig: Gig, description: str, budget_cents: int | None = None, delivery_days: int | None = None
) -> Message:
    """A buyer asks the gig's seller for a custom offer; it lands in their conversation as a ``request``."""
    description = (description or "").strip()
    if len(description) < 20:
        raise InvalidInput("Describe the work you need in a few sentences (at least 20 characters).")
    if budget_cents is not None and budget_cents <= 0:
        raise InvalidInput("The budget must be above zero.")
    if delivery_days is not None and not 1 <= delivery_days <= limits.max_delivery_days():
        raise InvalidInput(f"The delivery time must be 1 to {limits.max_delivery_days()} days.")
    with transaction.atomic():
        gig = _check_contactable(gig, buyer)
        data = {"gig_id": gig.pk, "gig_title": gig.title, "budget_cents": budget_cents, "delivery_days": delivery_days}
        conversation = conversation_start(buyer=buyer, seller=gig.seller, gig=gig)
        return message_send(
            conversation=conversation, sender=buyer, body=description, kind=MessageKind.REQUEST, data=data
        )
