"""Checks for every file a user uploads, shared by all apps.

A file is judged by its content, not its name: images must decode with Pillow
in an allowed format; other attachments must have an allowed extension *and*
start with the signature of that type. Names are reduced to a safe basename.
"""

import io
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils.deconstruct import deconstructible
from PIL import Image, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}

# extension -> tuple of accepted leading bytes (empty tuple: plain text)
ATTACHMENT_SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "pptx": (b"PK\x03\x04",),
    "txt": (),
    "md": (),
    "csv": (),
    "mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "mp4": (),  # checked by the ftyp box below
    "mov": (),
}
EXECUTABLE_SIGNATURES = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"#!")


SAFE_NAME_MAX = 100


def safe_name(name: str) -> str:
    """The name a file is kept and downloaded under: the basename only, as the person wrote it where that is
    safe. Letters and digits of any script, dot, dash and underscore stay; anything else (spaces, quotes, path
    separators, control and direction characters) becomes "_". At most ``SAFE_NAME_MAX`` characters, the
    extension kept: a long name is shortened before its extension, never through it."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFC", base.replace("%22", ""))  # a browser sends a quote in a name as %22
    base = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in base)
    base = re.sub(r"_{2,}", "_", base).strip("._") or "file"
    stem, dot, ext = base.rpartition(".")
    if not dot or len(ext) > 10:
        return base[:SAFE_NAME_MAX]
    return f"{stem[: SAFE_NAME_MAX - len(ext) - 1].rstrip('._') or 'file'}.{ext}"


def _size_check(upload, max_bytes):
    if upload.size is None or upload.size > max_bytes:
        raise ValidationError(
            f"The file is too large ({upload.size or 0:,} bytes); the limit is {max_bytes // (1024 * 1024)} MB."
        )
    if upload.size == 0:
        raise ValidationError("The file is empty.")


def validate_image_upload(upload, max_bytes=None):
    """Refuse anything that is not a real, intact image within the size limit."""
    max_bytes = max_bytes or settings.UPLOAD_MAX_BYTES
    _size_check(upload, max_bytes)
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            fmt = image.format
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()  # verify() misses truncated data; a full decode does not
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError("The file is not a valid image (JPEG, PNG, WebP or GIF).") from exc
    finally:
        upload.seek(0)
    if fmt not in IMAGE_FORMATS:
        raise ValidationError("Only JPEG, PNG, WebP or GIF images are accepted.")
    return fmt


def validate_attachment(upload, max_bytes=None):
    """Refuse executables, unknown types and files whose content does not match their extension."""
    max_bytes = max_bytes or settings.UPLOAD_MAX_BYTES
    _size_check(upload, max_bytes)
    name = safe_name(upload.name)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ATTACHMENT_SIGNATURES:
        allowed = ", ".join(sorted(ATTACHMENT_SIGNATURES))
        if not ext:
            raise ValidationError(f"The file's name has no type (like .pdf) to check it by. Allowed: {allowed}.")
        raise ValidationError(f"Files of type “.{ext}” are not accepted. Allowed: {allowed}.")
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    if head.startswith(EXECUTABLE_SIGNATURES):
        raise ValidationError("Executable files are not accepted.")
    signatures = ATTACHMENT_SIGNATURES[ext]
    if ext in {"png", "jpg", "jpeg", "gif", "webp"}:
        validate_image_upload(upload, max_bytes)
    elif ext in {"mp4", "mov"}:
        if head[4:8] != b"ftyp":
            raise ValidationError(f"The file's content does not match its “.{ext}” extension.")
    elif signatures and not head.startswith(signatures):
        raise ValidationError(f"The file's content does not match its “.{ext}” extension.")
    elif not signatures:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # a multi-byte character may be cut at byte 64: retry on a shorter prefix
            try:
                head[: exc.start].decode("utf-8")
                if exc.start < 60:
                    raise
            except UnicodeDecodeError:
                raise ValidationError(f"A “.{ext}” file must be plain text.") from exc
    return name


@dataclass(frozen=True)
class UploadedFile:
    """A checked upload: the Django file plus its safe name."""

    file: File
    name: str


def max_attachments() -> int:
    """How many files one message, delivery or dispute message may carry (``UPLOAD_MAX_FILES``)."""
    return settings.UPLOAD_MAX_FILES


def attachments_help(kinds: str = "") -> str:
    """The help text of a files field: how many, how large (and, if given, which kinds)."""
    size = f"{settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB"
    if kinds:
        return f"Up to {max_attachments()} files of {size}: {kinds}."
    return f"Up to {max_attachments()} files, {size} each."


def check_attachments(files, *, per: str = "") -> list[UploadedFile]:
    """The one check of the files attached to a message, a delivery or a dispute message.

    At most ``max_attachments()`` files ("… to one ``per``" in the message when given), each
    passing :func:`validate_attachment`. Raises one ``ValidationError`` naming every refused
    file (by its safe name) and why; returns each file with its safe name.
    """
    files = list(files or ())
    most = max_attachments()
    if len(files) > most:
        raise ValidationError(f"Attach at most {most} files" + (f" to one {per}." if per else "."), code="too_many")
    checked, errors = [], []
    for upload in files:
        try:
            checked.append(UploadedFile(file=upload, name=validate_attachment(upload)))
        except ValidationError as exc:
            errors.append(f"{safe_name(upload.name)}: {' '.join(exc.messages)}")
    if errors:
        raise ValidationError(errors)
    return checked


@deconstructible
class private_upload_to:  # noqa: N801 - used like a function in upload_to=
    """An ``upload_to`` that stores files under an unguessable folder."""

    def __init__(self, prefix):
        self.prefix = prefix

    def __call__(self, instance, filename):
        return f"{self.prefix}/{uuid.uuid4().hex}/{safe_name(filename)}"

    def __eq__(self, other):
        return isinstance(other, private_upload_to) and other.prefix == self.prefix

    def __hash__(self):
        return hash(self.prefix)


def serve_private_file(field_file, *, as_attachment=True, filename=None):
    """Stream a stored file; the caller has already checked who may see it. ``filename``: the name the pages
    show (the stored name may be shortened or carry a suffix); the stored file's own name by default."""
    if not field_file:
        raise Http404
    download_url = getattr(field_file.storage, "download_url", None)
    if as_attachment and download_url is not None:  # object storage: the bucket sends it, signed for a minute
        response = HttpResponseRedirect(
            download_url(field_file.name, filename=filename or os.path.basename(field_file.name))
        )
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
    try:
        handle = field_file.open("rb")
        if download_url is not None:  # an image from object storage: read here, so a missing object is a 404
            handle = io.BytesIO(handle.read())
    except (FileNotFoundError, ClientError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename or os.path.basename(field_file.name))
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=0"
    return response
