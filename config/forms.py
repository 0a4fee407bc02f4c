"""What every app's views share about forms."""

from django.contrib import messages
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


def form_error_messages(form) -> list[str]:
    """A form's errors as sentences for a message: "Label: error" for each error of a field (the
    label the page shows), the form's own errors as they are; a formset's forms, then its own errors."""
    found = []
    if hasattr(form, "fields"):  # a form (a formset has forms instead)
        for name, errors in form.errors.items():
            label = form[name].label if name in form.fields else ""
            found += [f"{label}: {error}" if label else str(error) for error in errors]
    for each in getattr(form, "forms", ()):
        found += form_error_messages(each)
    found += [str(error) for error in getattr(form, "non_form_errors", list)()]
    return found


def form_errors_to_messages(request, form) -> None:
    """Each of :func:`form_error_messages` as an error message of the next page."""
    for text in form_error_messages(form):
        messages.error(request, text)


class FormRenderer(BaseRenderer):
    """Forms drawn with Django's own Jinja2 form templates (the same markup as its Django-template ones, drawn
    several times faster: make bench, the order page's forms), and with the Django-template ones where only
    those exist (the admin's widgets). ``FORM_RENDERER`` in the settings."""

    def __init__(self):
        self.jinja2 = Jinja2()
        self.django = DjangoTemplates()
        self._engine_for: dict[str, BaseRenderer] = {}

    def get_template(self, template_name):
        engine = self._engine_for.get(template_name)
        if engine is not None:
            return engine.get_template(template_name)
        try:
            template = self.jinja2.get_template(template_name)
            self._engine_for[template_name] = self.jinja2
        except TemplateDoesNotExist:
            template = self.django.get_template(template_name)
            self._engine_for[template_name] = self.django
        return template
