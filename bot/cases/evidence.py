"""Evidence files: what is accepted (type detected from the bytes, size limits per kind,
images decoded to prove they are images), thumbnails for the console (metadata such as
GPS stripped), and the record on the case (attachment row + timeline line)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.cases import service
from bot.cases.models import Case, CaseAttachment
from bot.cases.storage import EvidenceStore, new_key
from bot.cases.vocabulary import CHECKLISTS
from bot.config import Settings
from bot.contract import CaseEventKind, CaseStatus, CaseType, EvidenceItem

MB = 1024 * 1024
THUMBNAIL_PX = 320
MAX_PIXELS = 60_000_000  # larger images are refused (decompression bombs)


class EvidenceRejected(ValueError):
    """A file that is not accepted; `code` is shown to the customer in words."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


@dataclass(frozen=True)
class Kind:
    media_type: str
    extension: str
    family: str  # image | video | document


def sniff(data: bytes) -> Kind | None:
    """The file's real type from its first bytes (never the name or the client's word)."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return Kind("image/jpeg", "jpg", "image")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Kind("image/png", "png", "image")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Kind("image/webp", "webp", "image")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Kind("image/gif", "gif", "image")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"heim", b"heis"):
            return Kind("image/heic", "heic", "image")
        if brand == b"qt  ":
            return Kind("video/quicktime", "mov", "video")
        if brand[:3] == b"3gp":
            return Kind("video/3gpp", "3gp", "video")
        return Kind("video/mp4", "mp4", "video")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return Kind("video/webm", "webm", "video")
    if head.startswith(b"%PDF-"):
        return Kind("application/pdf", "pdf", "document")
    return None


def limit_bytes(settings: Settings, family: str) -> int:
    megabytes = settings.upload_max_video_mb if family == "video" else settings.upload_max_image_mb
    return int(megabytes * MB)


def thumbnail(data: bytes) -> bytes | None:
    """A small JPEG of an image (None when Pillow cannot draw it, e.g. HEIC); proves a
    raster image decodes and drops its metadata (EXIF GPS)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=80)
                return out.getvalue()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise EvidenceRejected("too_large", "image has too many pixels") from exc
        except Exception as exc:
            raise EvidenceRejected("bad_file", f"not a readable image: {type(exc).__name__}") from exc


def check(settings: Settings, data: bytes) -> tuple[Kind, bytes | None]:
    """Validate one file: (its kind, a thumbnail for images); EvidenceRejected otherwise."""
    if not data:
        raise EvidenceRejected("empty")
    kind = sniff(data)
    if kind is None:
        raise EvidenceRejected("bad_type")
    if len(data) > limit_bytes(settings, kind.family):
        raise EvidenceRejected("too_large")
    thumb = None
    if kind.family == "image" and kind.media_type != "image/heic":
        thumb = thumbnail(data)
    return kind, thumb


def wanted_items(case: Case) -> tuple[EvidenceItem, ...]:
    try:
        return CHECKLISTS.get(CaseType(case.type), ())
    except ValueError:
        return ()


def missing_items(session: Session, case: Case) -> list[EvidenceItem]:
    have = set(session.execute(select(CaseAttachment.item).where(CaseAttachment.case_id == case.id)).scalars())
    return [item for item in wanted_items(case) if item.value not in have]


def attachment_count(session: Session, case_id: int) -> int:
    return int(
        session.execute(select(func.count(CaseAttachment.id)).where(CaseAttachment.case_id == case_id)).scalar_one()
    )


def store_file(
    store: EvidenceStore, case_id: int, kind: Kind, data: bytes, thumb: bytes | None
) -> tuple[str, str | None]:
    """Write the bytes (blocking: call from a worker thread); returns (key, thumbnail key)."""
    key = new_key(case_id, kind.extension)
    store.put(key, data)
    thumb_key = None
    if thumb is not None:
        thumb_key = key.rsplit(".", 1)[0] + ".thumb.jpg"
        store.put(thumb_key, thumb)
    return key, thumb_key


def record(
    session: Session,
    case: Case,
    item: str,
    kind: Kind,
    data: bytes,
    key: str,
    thumb_key: str | None,
    original_name: str | None,
    source: str,
    now: datetime,
) -> CaseAttachment:
    """The attachment row and its timeline line; a case waiting for the customer resumes."""
    if item not in {e.value for e in EvidenceItem}:
        item = EvidenceItem.OTHER.value
    attachment = CaseAttachment(
        case_id=case.id,
        item=item,
        media_type=kind.media_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_key=key,
        thumbnail_key=thumb_key,
        original_name=(original_name or "")[:255] or None,
        source=source,
        created_at=now,
    )
    session.add(attachment)
    session.flush()
    service.add_event(
        session,
        case,
        CaseEventKind.EVIDENCE,
        service.CUSTOMER,
        now,
        to_value=item,
        data={"attachment_id": attachment.id, "media_type": kind.media_type, "size": len(data), "source": source},
    )
    if case.status == CaseStatus.WAITING_CUSTOMER.value:
        service.change_status(session, case, CaseStatus.IN_PROGRESS.value, service.CUSTOMER, now)
    return attachment
