"""Evidence upload through the signed link: the page, real files (type detected from the
bytes, size limits, images decoded), the case records them, the agent opens them through
signed file links, the customer is told what is still missing; expired or altered links
are refused."""

from __future__ import annotations

import io
import re
from typing import Any

import aiohttp
from PIL import Image

from tests.gateway.conftest import add_agent, login, say
from tests.gateway.test_cases import bot_opens_cases, cases, detail, latest_pushed_id, poll


def jpeg(size: tuple[int, int] = (640, 480), color: str = "red") -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, color)
    image.save(out, "JPEG")
    return out.getvalue()


MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 2000
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def form(*files: tuple[str, bytes, str]) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for field, content, name in files:
        data.add_field(field, content, filename=name, content_type="application/octet-stream")
    return data


async def open_damage_case(client: Any, settings: Any, fake_rasa: Any, clock: Any, sender: str = "uma") -> str:
    fake_rasa.on_message = bot_opens_cases(settings, clock)
    replies = await say(client, sender, "包裹破损了")
    match = re.search(r"https?://[^/\s]+(/upload/[A-Za-z0-9_\-.]+)", replies[-1]["text"])
    assert match, replies
    return match.group(1)


async def test_upload_page_stores_files_and_the_agent_sees_them(client, settings, fake_rasa, clock):
    path = await open_damage_case(client, settings, fake_rasa, clock)
    page = await client.get(path)
    assert page.status == 200
    html = await page.text()
    assert 'data-testid="upload-reference">CS' in html
    for item in ("outer_packaging", "contents", "unboxing_video", "proof_of_purchase"):  # the seeds' full list
        assert f'name="{item}"' in html
    assert "Content-Security-Policy" in page.headers
    since = await latest_pushed_id(client, "uma")
    response = await client.post(
        path,
        data=form(
            ("outer_packaging", jpeg(), "box.jpg"),
            ("unboxing_video", MP4, "open.mp4"),
            ("proof_of_purchase", PDF, "order.pdf"),
        ),
    )
    body = await response.text()
    assert response.status == 200 and "已收到 3 个文件" in body
    assert "还需要" in body and 'data-item="contents"' in body
    pushed = await poll(client, "uma", since)
    assert "已收到您为破损理赔" in pushed[0]["text"] and "还需要：内物照片" in pushed[0]["text"]
    add_agent(settings, "wu")
    headers = await login(client, "wu")
    (listed,) = await cases(client, headers)
    case = await detail(client, headers, listed["id"])
    kinds = {a["item"]: a for a in case["attachments"]}
    assert set(kinds) == {"outer_packaging", "unboxing_video", "proof_of_purchase"}
    assert kinds["outer_packaging"]["media_type"] == "image/jpeg" and kinds["outer_packaging"]["thumbnail_url"]
    assert kinds["unboxing_video"]["media_type"] == "video/mp4"
    assert kinds["proof_of_purchase"]["media_type"] == "application/pdf"
    assert [e["to"] for e in case["timeline"] if e["kind"] == "evidence"] == [
        "outer_packaging",
        "unboxing_video",
        "proof_of_purchase",
    ]
    photo = await client.get(kinds["outer_packaging"]["url"])  # a signed link: no token header needed
    assert photo.status == 200 and photo.content_type == "image/jpeg" and (await photo.read()) == jpeg()
    thumb = await client.get(kinds["outer_packaging"]["thumbnail_url"])
    assert thumb.status == 200
    assert max(Image.open(io.BytesIO(await thumb.read())).size) <= 320
    forged = kinds["outer_packaging"]["url"][:-3] + "AAA"
    assert (await client.get(forged)).status == 404
    clock.advance(minutes=16)  # file links last 15 minutes
    assert (await client.get(kinds["outer_packaging"]["url"])).status == 404


async def test_type_and_size_limits(make_client, settings, fake_rasa, clock):
    client = await make_client(settings, upload_max_image_mb=0.05, upload_max_video_mb=0.05, upload_max_files=3)
    path = await open_damage_case(client, settings, fake_rasa, clock, "vic")
    noise = Image.effect_noise((800, 800), 90).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    big = out.getvalue()
    assert len(big) > 0.05 * 1024 * 1024
    response = await client.post(
        path,
        data=form(
            ("outer_packaging", big, "big.jpg"),
            ("contents", b"hello, I am text", "note.txt"),
            ("contents", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "broken.jpg"),
            ("contents", b"", "empty.jpg"),
        ),
    )
    body = await response.text()
    assert response.status == 400
    assert (
        "big.jpg：文件太大" in body
        and "note.txt：文件类型不支持" in body
        and "broken.jpg：文件已损坏或无法识别" in body
    )
    for n in range(3):
        await client.post(path, data=form(("contents", jpeg(color="green"), f"ok{n}.jpg")))
    response = await client.post(path, data=form(("contents", jpeg(), "fourth.jpg")))
    assert "已达到文件数量上限" in await response.text()
    nothing = await client.post(path, data=form())
    assert nothing.status == 400
    # A request far over the limits is cut off, not read to its end.
    flood = await client.post(
        path, data=form(*[("contents", b"\xff\xd8\xff" + b"\x00" * 400_000, f"f{n}.jpg") for n in range(6)])
    )
    assert flood.status == 413


async def test_expired_or_altered_links_are_refused(client, settings, fake_rasa, clock):
    path = await open_damage_case(client, settings, fake_rasa, clock, "wen")
    token = path.rsplit("/", 1)[1]
    body, mac = token.split(".")
    for bad in (
        f"/upload/{body}.{mac[:-2]}xx",
        f"/upload/{body[:-2]}xx.{mac}",
        "/upload/nonsense",
        "/upload/" + "a" * 3000,
    ):
        response = await client.get(bad)
        assert response.status == 410, bad
        assert "CS2" not in await response.text()  # no case is revealed
    clock.advance(minutes=61)
    assert (await client.get(path)).status == 410
    assert (await client.post(path, data=form(("contents", jpeg(), "late.jpg")))).status == 410
