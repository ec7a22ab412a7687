"""The security tests use the gateway fixtures (fake Rasa, settings, app client, a fresh
SQLite file per test or TEST_DATABASE_URL)."""

from tests.gateway.conftest import (  # noqa: F401
    client,
    clock,
    database_url,
    fake_rasa,
    make_client,
    settings,
)
from tests.gateway.test_wechat import _masker_loaded, fake_api  # noqa: F401 - WeChat tests
