"""What every app's views share about forms."""

from django.contrib import messages


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
