"""The customer's evidence upload page (a signed, short-lived link the bot sends):

GET  /upload/{token}   a plain HTML form (works in the stock widget's browser tab and in
                       WeChat's built-in browser; no script needed): the case, the checklist
                       with what is still missing, one file field per item
POST /upload/{token}   multipart/form-data; each file is checked (type from its bytes, size
                       per kind, images decoded), stored, recorded on the case; the page
                       says what was received and what is still missing

An unknown, altered or expired link gets a polite page (410), never the case."""

from __future__ import annotations

import html

from aiohttp import BodyPartReader, web

from bot.cases import evidence, service
from bot.cases.links import LinkClaims
from bot.cases.models import Case
from bot.cases.service import CaseError
from bot.contract import EvidenceItem, label
from bot.gateway.case_desk import add_evidence
from bot.gateway.keys import DB_KEY, QUEUE_KEY

MAX_FIELDS = 40

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "title": "上传材料",
        "case": "事项",
        "checklist": "需要的材料",
        "have": "已收到",
        "missing": "还需要",
        "submit": "上传",
        "hint": "支持照片（JPG/PNG/WEBP/HEIC，每个不超过 {image} MB）、视频（MP4/MOV，不超过 {video} MB）和 PDF。",
        "expired": "这个上传链接已失效或不完整。请回到对话里告诉我“上传材料”，我会发给您新的链接。",
        "closed": "这个事项已经处理完成，不再需要上传材料。如有问题，请回到对话里告诉我。",
        "received": "已收到 {n} 个文件，谢谢！",
        "nothing": "没有收到文件，请选择要上传的照片或视频。",
        "rejected": "以下文件没有保存：",
        "back": "您可以关闭本页回到对话，专员会尽快查看。",
    },
    "en": {
        "title": "Upload evidence",
        "case": "Case",
        "checklist": "What we need",
        "have": "received",
        "missing": "still needed",
        "submit": "Upload",
        "hint": "Photos (JPG/PNG/WEBP/HEIC, up to {image} MB each), videos (MP4/MOV, up to {video} MB) and PDF.",
        "expired": "This upload link has expired or is incomplete. Go back to the chat and ask me to 'upload evidence' for a new link.",
        "closed": "This case is already resolved, so no more files are needed. Go back to the chat if anything is wrong.",
        "received": "Thank you, {n} file(s) received.",
        "nothing": "No file arrived: please choose the photos or videos to upload.",
        "rejected": "These files were not saved:",
        "back": "You can close this page and return to the chat.",
    },
}
# Why a file was not saved (the codes of bot.cases.evidence).
_REASONS: dict[str, dict[str, str]] = {
    "zh": {
        "bad_type": "文件类型不支持",
        "too_large": "文件太大",
        "empty": "文件是空的",
        "bad_file": "文件已损坏或无法识别",
        "too_many": "已达到文件数量上限",
    },
    "en": {
        "bad_type": "type not supported",
        "too_large": "too large",
        "empty": "empty file",
        "bad_file": "damaged or unreadable",
        "too_many": "too many files",
    },
}
_ACCEPT = {
    EvidenceItem.UNBOXING_VIDEO.value: "video/*",
    EvidenceItem.PROOF_OF_PURCHASE.value: "image/*,application/pdf",
    EvidenceItem.CUSTOMS_DOCUMENT.value: "image/*,application/pdf",
    EvidenceItem.OTHER.value: "image/*,video/*,application/pdf",
}


def _page(lang: str, body: str, status: int = 200) -> web.Response:
    title = html.escape(_TEXT[lang]["title"])
    doc = (
        f'<!DOCTYPE html><html lang="{"en" if lang == "en" else "zh-CN"}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">'
        f'<title>{title} · 速达快递</title><link rel="stylesheet" href="/static/upload/upload.css"></head>'
        f'<body><main class="upload" data-testid="upload-page"><h1>{title}</h1>{body}</main></body></html>'
    )
    return web.Response(
        text=doc,
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )


def _claims(request: web.Request) -> LinkClaims | None:
    desk = request.app[QUEUE_KEY].cases
    return desk.signer.verify(request.match_info["token"], "upload", desk.clock())


def _expired(request: web.Request) -> web.Response:
    lang = "en" if request.headers.get("Accept-Language", "").lower().startswith("en") else "zh"
    return _page(lang, f'<p class="notice" data-testid="upload-expired">{html.escape(_TEXT[lang]["expired"])}</p>', 410)


def _form(request: web.Request, case: Case, missing: list[str], lang: str, message: str = "") -> str:
    t = _TEXT[lang]
    settings = request.app[QUEUE_KEY].settings
    items = [i.value for i in evidence.wanted_items(case)] + [EvidenceItem.OTHER.value]
    rows = []
    for item in items:
        state = "" if item == EvidenceItem.OTHER.value else (t["missing"] if item in missing else t["have"])
        accept = _ACCEPT.get(item, "image/*")
        rows.append(
            f'<li data-item="{item}"><label for="f-{item}">{html.escape(label("evidence_items", item, lang))}'
            f"{f' <small>({html.escape(state)})</small>' if state else ''}</label>"
            f'<input id="f-{item}" type="file" name="{item}" accept="{accept}" multiple data-testid="upload-{item}"></li>'
        )
    hint = t["hint"].format(image=int(settings.upload_max_image_mb), video=int(settings.upload_max_video_mb))
    name = html.escape(label("case_types", case.type, lang))
    return (
        f'{message}<p class="case">{html.escape(t["case"])}：<strong data-testid="upload-reference">'
        f"{html.escape(case.reference)}</strong> · {name}</p><h2>{html.escape(t['checklist'])}</h2>"
        f'<form method="post" enctype="multipart/form-data" data-testid="upload-form"><ul>{"".join(rows)}</ul>'
        f'<p class="hint">{html.escape(hint)}</p><button type="submit" data-testid="upload-submit">'
        f"{html.escape(t['submit'])}</button></form>"
    )


async def upload_page(request: web.Request) -> web.Response:
    claims = _claims(request)
    if claims is None:
        return _expired(request)
    with request.app[DB_KEY].session() as session:
        case = service.get_case(session, claims.subject)
        if case is None:
            return _expired(request)
        lang = case.language
        if service.is_done(case):
            return _page(
                lang, f'<p class="notice" data-testid="upload-closed">{html.escape(_TEXT[lang]["closed"])}</p>'
            )
        missing = [m.value for m in evidence.missing_items(session, case)]
        body = _form(request, case, missing, lang)
    return _page(lang, body)


class _Budget:
    """Bytes one upload request may send in all (oversized parts included): past it the
    request is refused instead of read to its end."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise web.HTTPRequestEntityTooLarge(max_size=0, actual_size=0)


async def _read_part(part: BodyPartReader, limit: int, budget: _Budget) -> bytes | None:
    """The part's bytes, or None when it is over `limit` (the rest is skipped, within the budget)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await part.read_chunk(256 * 1024)
        if not chunk:
            return b"".join(chunks) if size <= limit else None
        budget.spend(len(chunk))
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        else:
            chunks = []


async def upload_post(request: web.Request) -> web.Response:
    claims = _claims(request)
    if claims is None:
        return _expired(request)
    desk = request.app[QUEUE_KEY].cases
    settings = desk.settings
    with request.app[DB_KEY].session() as session:
        case = service.get_case(session, claims.subject)
        if case is None:
            return _expired(request)
        lang = case.language
    t = _TEXT[lang]
    if not (request.content_type or "").startswith("multipart/form-data"):
        return _page(lang, f'<p class="notice">{html.escape(t["nothing"])}</p>', 400)
    largest = int(max(settings.upload_max_image_mb, settings.upload_max_video_mb) * evidence.MB)
    files: list[tuple[str, bytes, str | None]] = []
    rejected: list[tuple[str, str]] = []
    budget = _Budget(2 * largest + evidence.MB)
    try:
        reader = await request.multipart()
        for _ in range(MAX_FIELDS):
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            name = (part.filename or "")[:120]
            field = part.name or EvidenceItem.OTHER.value
            if not name:  # a plain field: nothing we need, but it counts against the budget
                await _read_part(part, 0, budget)
                continue
            data = await _read_part(part, largest, budget)
            if data is None:
                rejected.append((name, "too_large"))
            elif data:
                files.append((field, data, name))
    except web.HTTPRequestEntityTooLarge:
        reason = html.escape(_REASONS[lang]["too_large"])
        return _page(lang, f'<p class="notice" data-testid="upload-too-large">{reason}</p>', 413)
    except (ValueError, AssertionError, UnicodeDecodeError):
        return _page(lang, f'<p class="notice">{html.escape(t["nothing"])}</p>', 400)
    if not files and not rejected:
        with request.app[DB_KEY].session() as session:
            case = service.get_case(session, claims.subject)
            if case is None:  # purged meanwhile
                return _expired(request)
            missing = [m.value for m in evidence.missing_items(session, case)]
            body = _form(
                request,
                case,
                missing,
                lang,
                f'<p class="notice" data-testid="upload-nothing">{html.escape(t["nothing"])}</p>',
            )
        return _page(lang, body, 400)
    try:
        result = await add_evidence(desk, claims.subject, files, "upload")
    except CaseError:
        return _page(lang, f'<p class="notice" data-testid="upload-closed">{html.escape(t["closed"])}</p>', 409)
    result.rejected = rejected + result.rejected
    parts = [
        f'<p class="ok" data-testid="upload-received">{html.escape(t["received"].format(n=len(result.accepted)))}</p>'
    ]
    if result.rejected:
        reasons = "".join(
            f"<li>{html.escape(n)}：{html.escape(_REASONS[lang].get(code, code))}</li>" for n, code in result.rejected
        )
        parts.append(
            f'<p class="notice" data-testid="upload-rejected">{html.escape(t["rejected"])}</p><ul>{reasons}</ul>'
        )
    parts.append(f"<p>{html.escape(t['back'])}</p>")
    with request.app[DB_KEY].session() as session:
        case = service.get_case(session, claims.subject)
        if case is None:  # purged meanwhile
            return _expired(request)
        missing = [m.value for m in evidence.missing_items(session, case)]
        body = _form(request, case, missing, lang, "".join(parts))
    return _page(lang, body, 200 if result.accepted else 400)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/upload/{token}", upload_page)
    app.router.add_post("/upload/{token}", upload_post)
