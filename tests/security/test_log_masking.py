"""Logs never carry personal data or credentials: the gateway's (and the action server's)
logging masks the whole formatted record, the traceback of an exception included, with
national ID numbers, e-mail addresses and WeChat's token URL (`secret=`)."""

from __future__ import annotations

import io
import logging

import pytest

PHONE = "13812345678"
NATIONAL_ID = "11010519491231002X"
EMAIL = "li.na@example.com"
APP_SECRET = "d4624c36b6795d1d99dcf0547af5443d"


@pytest.fixture
def gateway_log():
    """The root logger configured as `python -m bot.gateway` does, writing to a buffer."""
    from bot.gateway.__main__ import configure_logging

    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging("INFO")
    buffer = io.StringIO()
    for handler in root.handlers:
        handler.setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def _fail_with_customer_data() -> None:
    customer = {"phone": PHONE, "id_card": NATIONAL_ID, "email": EMAIL}
    raise ValueError(f"cannot save customer {customer}")


def test_a_traceback_is_masked(gateway_log: io.StringIO) -> None:
    try:
        _fail_with_customer_data()
    except ValueError:
        logging.getLogger("bot.gateway.app").exception("unhandled error on POST /webhooks/rest/webhook")
    text = gateway_log.getvalue()
    assert "Traceback" in text and "ValueError" in text  # still useful
    for secret in (PHONE, NATIONAL_ID, EMAIL):
        assert secret not in text, text
    assert "138****5678" in text


def test_credentials_in_urls_are_masked(gateway_log: io.StringIO) -> None:
    logging.getLogger("wechatpy").warning(
        "GET https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx0&secret=%s failed",
        APP_SECRET,
    )
    logging.getLogger("bot.gateway.api").info("Authorization: Bearer %s", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5")
    text = gateway_log.getvalue()
    assert APP_SECRET not in text and "secret=****" in text
    assert "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5" not in text


def test_new_detectors_in_customer_text() -> None:
    from bot.pii import mask_text

    masked = mask_text(f"身份证 {NATIONAL_ID}，邮箱 {EMAIL}，运单 SF1402345678901")
    assert NATIONAL_ID not in masked and EMAIL not in masked
    assert "SF1402345678901" in masked  # tracking numbers are not personal data
    assert mask_text("110105194912310021") == "110105194912310021"  # bad check digit: not an ID number
