"""One attachment check (``config.uploads.check_attachments``) and one attachment shape (``config.models.Attachment``).

Derived from the app's own lists: every form with a files field, every model that stores an attached file.
"""

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.test import override_settings
from django.utils.datastructures import MultiValueDict

from config.models import Attachment
from config.uploads import UploadedFile, check_attachments
from tests.forms.registry import discover_forms


def _text(name="notes.txt"):
    return SimpleUploadedFile(name, b"plain notes\n", content_type="text/plain")


def _exe(name="setup.txt"):
    return SimpleUploadedFile(name, b"MZ\x90\x00 not really text", content_type="text/plain")


def attachment_forms():
    return sorted(
        (name, form_class)
        for name, form_class in discover_forms().items()
        if "files" in getattr(form_class, "base_fields", {})
    )


def _files_errors(form_class, uploads):
    form = form_class(data={}, files=MultiValueDict({"files": uploads}))
    form.is_valid()
    return form.errors.get("files", [])


def test_the_forms_with_files_are_found():
    names = {name.rsplit(".", 1)[-1] for name, _ in attachment_forms()}
    assert {"MessageForm", "DeliveryForm", "DisputeOpenForm", "DisputeMessageForm"} <= names


@pytest.mark.parametrize(("name", "form_class"), attachment_forms(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_files_field_is_checked_by_the_one_check(name, form_class):
    with override_settings(UPLOAD_MAX_FILES=1):
        assert any("Attach at most 1 files" in e for e in _files_errors(form_class, [_text("a.txt"), _text("b.txt")]))
    errors = _files_errors(form_class, [_text("fine.txt"), _exe("setup.txt")])
    assert errors == ["setup.txt: Executable files are not accepted."], name
    assert _files_errors(form_class, [_text("fine.txt")]) == []


def test_the_check_names_every_refused_file_and_returns_safe_names():
    with pytest.raises(ValidationError) as refused:
        check_attachments([_exe("one.txt"), _text("ok.txt"), _exe("two.txt")])
    assert refused.value.messages == [
        "one.txt: Executable files are not accepted.",
        "two.txt: Executable files are not accepted.",
    ]
    [checked] = check_attachments([_text("../../my notes.txt")])
    assert isinstance(checked, UploadedFile) and checked.name == "my_notes.txt"


def test_every_model_that_stores_an_attached_file_is_an_attachment():
    found = [
        model._meta.label
        for model in apps.get_models()
        if isinstance(_field(model, "file"), models.FileField)
        and _field(model, "size") is not None
        and not issubclass(model, Attachment)
    ]
    assert not found, found
    attachments = {m._meta.label for m in apps.get_models() if issubclass(m, Attachment)}
    assert attachments == {"marketplace.MessageAttachment", "milestones.DeliveryFile", "orders.DisputeAttachment"}


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        # found from the outside: names in other scripts were cut to their extension and refused as ".?"
        ("Отчёт финал.txt", "Отчёт_финал.txt"),
        ("报告.txt", "报告.txt"),
        ("café résumé.txt", "café_résumé.txt"),
        ("Q3 %22final%22 notes.txt", "Q3_final_notes.txt"),  # a browser sends a quote in a name as %22
        ("C" * 124 + ".txt", "C" * 96 + ".txt"),  # long names are shortened before their extension
        ("new\nline\u202etxt.txt", "new_line_txt.txt"),
    ],
)
def test_names_in_any_script_and_of_any_length_are_kept_with_their_type(sent, kept):
    [checked] = check_attachments([_text(sent)])
    assert checked.name == kept


def test_a_name_without_a_type_says_so():
    with pytest.raises(ValidationError) as refused:
        check_attachments([_text(".txt_")])
    assert "has no type" in refused.value.messages[0]
