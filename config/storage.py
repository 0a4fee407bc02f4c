"""Uploads in an S3-compatible bucket (``MEDIA_STORAGE=s3``): django-storages' S3 storage, with each object's
type decided here, never taken from what the uploading browser claimed.

``config.uploads.serve_private_file`` serves them: images stream through the permission-checked view (same
origin, so the pages' Content-Security-Policy needs no bucket host); a download answers with a redirect to a
presigned URL that lives ``S3_URL_SECONDS`` (60 by default) and makes the bucket answer with
``Content-Disposition: attachment`` and the object's stored type.
"""

import mimetypes
from urllib.parse import quote

from storages.backends.s3 import S3Storage

SAFE_DEFAULT_TYPE = "application/octet-stream"


def content_type_for(name: str) -> str:
    """The type a stored file is served with: from its (checked) extension, else bytes."""
    kind, _encoding = mimetypes.guess_type(name)
    return kind or SAFE_DEFAULT_TYPE


class MediaStorage(S3Storage):
    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        params["ContentType"] = content_type_for(name)  # stored as served: a browser's claim is not kept
        return params

    def download_url(self, name: str, *, filename: str) -> str:
        """A short-lived signed URL that downloads ``name`` as ``filename`` with its stored type."""
        # RFC 6266: an ASCII name for old clients, the real one (any script) percent-encoded beside it
        plain = filename.encode("ascii", "replace").decode().replace("?", "_").replace("\\", "_").replace('"', "_")
        disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
        return self.url(
            name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type_for(name),
            },
        )
