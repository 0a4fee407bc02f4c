"""The timeline's words (``milestones.timeline``): ``{{ event|event_words }}`` and ``{{ event|change_words }}``."""

from django import template

from config.fragments import render_each
from milestones import timeline

register = template.Library()


@register.filter
def event_words(event) -> str:
    return timeline.event_words(event.action)


@register.filter
def change_words(event) -> str:
    return timeline.change_words(event.from_state, event.to_state)


# The order page's side panel: messages and timeline events never change once written, so each is rendered
# once and kept in the cache under a digest of what it shows (``config.fragments``).
@register.simple_tag(takes_context=True)
def side_messages(context, messages):
    user_id = context["user"].pk
    return render_each(
        "orders/_side_message.html",
        messages,
        shows=lambda m: (
            m.pk,
            m.sender_id == user_id,
            m.sender.public_name if m.sender is not None else "",
            m.body,
            m.off_platform,
            m.created_at,
        ),
        context=lambda m: {"message": m, "mine": m.sender_id == user_id},
        timeout=24 * 3600,  # a message's text stays in the cache a day at most (the live ones are read daily)
    )


@register.simple_tag
def timeline_items(events):
    return render_each(
        "orders/_timeline_event.html",
        events,
        shows=lambda e: (
            e.pk,
            e.created_at,
            e.actor_label,
            timeline.event_words(e.action),
            e.milestone.title if e.milestone is not None else "",
            timeline.change_words(e.from_state, e.to_state),
            e.detail,
        ),
        context=lambda e: {"e": e},
    )
