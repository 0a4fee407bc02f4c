"""The timeline's words (``milestones.timeline``): ``{{ event|event_words }}`` and ``{{ event|change_words }}``."""

from django import template

from milestones import timeline

register = template.Library()


@register.filter
def event_words(event) -> str:
    return timeline.event_words(event.action)


@register.filter
def change_words(event) -> str:
    return timeline.change_words(event.from_state, event.to_state)
