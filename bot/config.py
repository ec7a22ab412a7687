"""The one place where configuration is read: environment variables with defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bot.clock import CHINA_TZ_NAME

ROOT_DIR = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _env_float(name: str, default: float) -> float:
    return float(_env(name, str(default)))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", str(ROOT_DIR / "var"))))
    database_url: str = ""
    models_dir: Path = field(default_factory=lambda: Path(_env("MODELS_DIR", str(ROOT_DIR / "models"))))
    rasa_port: int = field(default_factory=lambda: _env_int("RASA_PORT", 5005))
    actions_port: int = field(default_factory=lambda: _env_int("ACTIONS_PORT", 5055))
    gateway_port: int = field(default_factory=lambda: _env_int("GATEWAY_PORT", 8080))
    host: str = field(default_factory=lambda: _env("BIND_HOST", "127.0.0.1"))
    rasa_url: str = ""
    # Several Rasa instances sharing one tracker store ("http://a:5005,http://b:5005"); default: (rasa_url,).
    rasa_urls: tuple[str, ...] = ()
    rasa_timeout_s: float = field(default_factory=lambda: _env_float("RASA_TIMEOUT", 10.0))
    # While no Rasa instance is ready (restart, deploy), a customer's message waits this long for one
    # before the customer is handed to the human queue.
    rasa_hold_s: float = field(default_factory=lambda: _env_float("RASA_HOLD_SECONDS", 30.0))
    # How long `serve` waits for each process to answer at start-up (a Rasa server loads its model:
    # ~30 s on an idle 2-core machine, minutes when the machine is busy) before it gives up.
    ready_timeout_s: float = field(default_factory=lambda: _env_float("READY_TIMEOUT_SECONDS", 300.0))
    # Redis (several instances of a role share locks, events and caches through it); unset: in-process.
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", ""))
    # Prefix of every Redis key (and channel) this deployment uses.
    redis_key_prefix: str = field(default_factory=lambda: _env("REDIS_KEY_PREFIX", "parcel:"))
    # Sanic worker processes per Rasa server / action server (Rasa: > 1 needs REDIS_URL).
    rasa_workers: int = field(default_factory=lambda: _env_int("RASA_WORKERS", 1))
    actions_workers: int = field(default_factory=lambda: _env_int("ACTIONS_WORKERS", 1))
    # Where a Rasa server started by `serve --only rasa` finds the action server.
    actions_url: str = ""
    # A damage/loss claim above this declared value goes to a human.
    claim_handoff_value: float = field(default_factory=lambda: _env_float("CLAIM_HANDOFF_VALUE", 2000.0))
    # Failed phone verifications before the conversation goes to a human.
    max_verification_attempts: int = field(default_factory=lambda: _env_int("MAX_VERIFICATION_ATTEMPTS", 3))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO"))

    # --- Gateway (bot/gateway) ---
    # Concurrent chats an agent may hold unless the agent row says otherwise.
    agent_max_chats: int = field(default_factory=lambda: _env_int("AGENT_MAX_CHATS", 5))
    # An agent with neither a websocket nor an API call for this long loses their chats to the queue.
    agent_grace_s: float = field(default_factory=lambda: _env_float("AGENT_GRACE_SECONDS", 120.0))
    # How often the background monitor checks grace periods and SLA breaches.
    monitor_interval_s: float = field(default_factory=lambda: _env_float("GATEWAY_MONITOR_INTERVAL", 5.0))
    # When humans answer ("HH:MM-HH:MM" in staffed_tz; "00:00-24:00" = always; overnight windows allowed).
    staffed_hours: str = field(default_factory=lambda: _env("STAFFED_HOURS", "08:00-22:00"))
    staffed_tz: str = field(default_factory=lambda: _env("STAFFED_TZ", CHINA_TZ_NAME))
    # First-response SLA in minutes per handoff category ("category=minutes,...").
    sla_minutes_spec: str = field(
        default_factory=lambda: _env(
            "SLA_MINUTES", "delay=15,damage=15,loss=15,refused=15,address=15,customs=15,consultation=30,complaint=30"
        )
    )
    sla_default_minutes: int = field(default_factory=lambda: _env_int("SLA_DEFAULT_MINUTES", 30))
    # Average minutes an agent needs per chat, for the customer's wait estimate.
    queue_avg_handle_minutes: float = field(default_factory=lambda: _env_float("QUEUE_AVG_HANDLE_MINUTES", 6.0))
    # Minimum seconds between two "you are still number N in the queue" answers.
    queue_notice_interval_s: float = field(default_factory=lambda: _env_float("QUEUE_NOTICE_INTERVAL", 60.0))
    # Lifetime of an agent's login token.
    agent_token_ttl_hours: float = field(default_factory=lambda: _env_float("AGENT_TOKEN_TTL_HOURS", 12.0))
    # A conversation with the bot that has been quiet this long is over: the next message starts a new one
    # (a new contact for the reports; like the bot's own session expiry).
    conversation_timeout_minutes: float = field(
        default_factory=lambda: _env_float("CONVERSATION_TIMEOUT_MINUTES", 120.0)
    )
    # Conversations the bot handled alone are asked for a rating once, at their end: when the customer
    # says goodbye, or after this many quiet minutes (0: only on goodbye) when the bot waits for nothing.
    csat_bot_idle_minutes: float = field(default_factory=lambda: _env_float("CSAT_BOT_IDLE_MINUTES", 10.0))
    # ... and a customer is asked at most once in this many hours.
    csat_bot_min_interval_hours: float = field(default_factory=lambda: _env_float("CSAT_BOT_MIN_INTERVAL_HOURS", 24.0))
    # Longest customer message accepted by the channels.
    max_message_chars: int = field(default_factory=lambda: _env_int("MAX_MESSAGE_CHARS", 4000))
    # Extra origins allowed to open the socket.io channel (comma separated; same origin always works, "*" = any).
    cors_origins: str = field(default_factory=lambda: _env("GATEWAY_CORS_ORIGINS", ""))
    # The stock rasa-webchat bundle for the demo page (scripts/env.sh fetches it from npm).
    webchat_js: str = field(default_factory=lambda: _env("WEBCHAT_JS", ""))
    # Chart.js (UMD bundle) for the console's Reports view (scripts/env.sh fetches it from npm).
    chartjs_js: str = field(default_factory=lambda: _env("CHARTJS_JS", ""))

    # --- Operations metrics (GET /metrics, bot/gateway/telemetry.py) ---
    # A bearer token that lets a scraper read /metrics from anywhere (unset: addresses below only).
    metrics_token: str = field(default_factory=lambda: _env("METRICS_TOKEN", ""))
    # Addresses (CIDR, comma separated) that may read /metrics without the token.
    metrics_allowed_networks: str = field(
        default_factory=lambda: _env("METRICS_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")
    )

    # --- Reports (bot/reports) ---
    # A new contact from the same customer (channel user) or about the same parcel within this many days
    # after a conversation means it was not resolved at first contact.
    report_fcr_window_days: float = field(default_factory=lambda: _env_float("REPORT_FCR_WINDOW_DAYS", 7.0))
    # A conversation the bot handled alone is contained unless its parcel comes back within this many hours.
    report_containment_window_hours: float = field(
        default_factory=lambda: _env_float("REPORT_CONTAINMENT_WINDOW_HOURS", 48.0)
    )
    # KPI targets overriding the service standards' defaults ("answer_rate=0.95,avg_answer_seconds=15,...").
    report_targets: str = field(default_factory=lambda: _env("REPORT_TARGETS", ""))
    # A KPI within this fraction of its target is amber rather than red.
    report_amber_margin: float = field(default_factory=lambda: _env_float("REPORT_AMBER_MARGIN", 0.1))
    # Hot spots: a place, route or carrier warns when its delays reach this count in a week ...
    hotspot_min_count: int = field(default_factory=lambda: _env_int("HOTSPOT_MIN_COUNT", 5))
    # ... and grew by this factor over the week before (or had none then).
    hotspot_jump_ratio: float = field(default_factory=lambda: _env_float("HOTSPOT_JUMP_RATIO", 1.5))

    # --- WeChat channels (bot/gateway/channels/wechat/); each is enabled only when its token is set ---
    # Official Account (公众号): callback token, AppID/AppSecret for the customer-service message API,
    # EncodingAESKey for safe mode (optional).
    wechat_token: str = field(default_factory=lambda: _env("WECHAT_TOKEN", ""))
    wechat_app_id: str = field(default_factory=lambda: _env("WECHAT_APP_ID", ""))
    wechat_app_secret: str = field(default_factory=lambda: _env("WECHAT_APP_SECRET", ""))
    wechat_encoding_aes_key: str = field(default_factory=lambda: _env("WECHAT_ENCODING_AES_KEY", ""))
    wechat_api_base: str = field(default_factory=lambda: _env("WECHAT_API_BASE", "https://api.weixin.qq.com"))
    # WeCom (企业微信): the callback is always encrypted, so corp id and EncodingAESKey are required with the token.
    wecom_corp_id: str = field(default_factory=lambda: _env("WECOM_CORP_ID", ""))
    wecom_token: str = field(default_factory=lambda: _env("WECOM_TOKEN", ""))
    wecom_encoding_aes_key: str = field(default_factory=lambda: _env("WECOM_ENCODING_AES_KEY", ""))
    wecom_agent_id: str = field(default_factory=lambda: _env("WECOM_AGENT_ID", ""))
    wecom_secret: str = field(default_factory=lambda: _env("WECOM_SECRET", ""))
    wecom_api_base: str = field(default_factory=lambda: _env("WECOM_API_BASE", "https://qyapi.weixin.qq.com"))
    # WeChat drops a callback after 5 s: replies not ready by then go through the send-message API.
    wechat_reply_timeout_s: float = field(default_factory=lambda: _env_float("WECHAT_REPLY_TIMEOUT", 4.0))

    # --- Cases (bot/cases): every follow-up the assistant promises ---
    # Per case type "type=first-contact/done" (m, h or d), e.g. "damage_claim=1h/24h,address_change=2h";
    # types not named keep the defaults of bot/cases/sla.py (the seeds: exceptions answered within 15 min,
    # handled within 24 h, damage claims contacted within 1 h). Clocks start when the desk is staffed.
    case_sla_spec: str = field(default_factory=lambda: _env("CASE_SLA", ""))
    # Where the gateway is reached from outside (links in messages: evidence upload page).
    public_url: str = ""
    # Secret that signs upload and file links (generated under DATA_DIR when unset; set it for several hosts).
    link_secret: str = field(default_factory=lambda: _env("LINK_SECRET", ""))
    # How long an evidence upload link works.
    upload_link_ttl_minutes: int = field(default_factory=lambda: _env_int("UPLOAD_LINK_TTL_MINUTES", 60))
    # Largest image / video / PDF accepted as evidence, and files per case.
    upload_max_image_mb: float = field(default_factory=lambda: _env_float("UPLOAD_MAX_IMAGE_MB", 10.0))
    upload_max_video_mb: float = field(default_factory=lambda: _env_float("UPLOAD_MAX_VIDEO_MB", 50.0))
    upload_max_files: int = field(default_factory=lambda: _env_int("UPLOAD_MAX_FILES", 20))
    # Evidence storage: "local" (files under DATA_DIR/evidence) or "local:/some/dir".
    evidence_storage: str = field(default_factory=lambda: _env("EVIDENCE_STORAGE", "local"))

    # --- Security (bot/security, README "Security") ---
    # Where the action server and Rasa listen, whatever BIND_HOST says (only the gateway faces clients).
    internal_host: str = field(default_factory=lambda: _env("INTERNAL_HOST", "127.0.0.1"))
    # Bearer token of Rasa's HTTP API (--auth-token) and of the action server; `serve` makes one per run when unset.
    rasa_token: str = field(default_factory=lambda: _env("RASA_TOKEN", ""))
    actions_token: str = field(default_factory=lambda: _env("ACTIONS_TOKEN", ""))
    # Wrong answers to a personal-data check (phone digits ...) per parcel, across every conversation and
    # channel, and per client (address / WeChat user), within VERIFY_LOCKOUT_MINUTES; then only a human verifies.
    verify_max_failures_per_parcel: int = field(default_factory=lambda: _env_int("VERIFY_MAX_FAILURES_PER_PARCEL", 5))
    verify_max_failures_per_client: int = field(default_factory=lambda: _env_int("VERIFY_MAX_FAILURES_PER_CLIENT", 10))
    verify_lockout_minutes: float = field(default_factory=lambda: _env_float("VERIFY_LOCKOUT_MINUTES", 1440.0))
    # A passed verification expires after this many minutes without use (and never outlives its conversation).
    verify_idle_minutes: float = field(default_factory=lambda: _env_float("VERIFY_IDLE_MINUTES", 30.0))
    # Failed agent logins per user name and per client address within LOGIN_WINDOW_MINUTES (then 429).
    login_max_failures: int = field(default_factory=lambda: _env_int("LOGIN_MAX_FAILURES", 10))
    login_window_minutes: float = field(default_factory=lambda: _env_float("LOGIN_WINDOW_MINUTES", 5.0))
    # How often an open agent websocket re-checks its token (it also does on every message).
    agent_ws_recheck_s: float = field(default_factory=lambda: _env_float("AGENT_WS_RECHECK_SECONDS", 30.0))
    # Delete or mask customer text older than this many days, daily, in `serve` (0 = keep; run
    # `python -m bot privacy purge --older-than DAYS` by hand instead).
    privacy_retention_days: float = field(default_factory=lambda: _env_float("PRIVACY_RETENTION_DAYS", 0.0))
    # Shared bearer secret of POST /webhooks/rest/webhook for trusted integrations (unset = open, as in Rasa).
    rest_channel_token: str = field(default_factory=lambda: _env("REST_CHANNEL_TOKEN", ""))
    # Reverse proxies whose X-Forwarded-For names the client (comma separated addresses or networks).
    trusted_proxies: str = field(default_factory=lambda: _env("TRUSTED_PROXIES", ""))
    # Customer messages allowed per conversation and per client address ("N per [M] unit", ";" between limits;
    # "off" = no limit, e.g. for load tests from one address). REST answers 429, chat channels "please slow down".
    rate_limit_conversation: str = field(
        default_factory=lambda: _env("RATE_LIMIT_CONVERSATION", "6 per 10 seconds; 30 per minute")
    )
    rate_limit_client: str = field(default_factory=lambda: _env("RATE_LIMIT_CLIENT", "60 per minute; 600 per hour"))
    # Messages of one conversation that may wait while an earlier one is answered (more: "please slow down"):
    # a quick burst of short messages during a slow turn fits, a pile-up behind a stuck one does not.
    max_pending_messages: int = field(default_factory=lambda: _env_int("MAX_PENDING_MESSAGES", 5))

    def sla_minutes(self, category: str | None) -> int:
        """First-response SLA (minutes) of a handoff category."""
        for part in self.sla_minutes_spec.split(","):
            name, _, minutes = part.partition("=")
            if name.strip() == (category or "") and minutes.strip().isdigit():
                return int(minutes.strip())
        return self.sla_default_minutes

    @property
    def internal_address(self) -> str:
        """Where to reach the internal services (a wildcard bind address is reached on loopback)."""
        return "127.0.0.1" if self.internal_host in ("0.0.0.0", "::", "") else self.internal_host

    @property
    def shares_state(self) -> bool:
        """True when the state several instances must share lives outside the process:
        Redis for locks and events, a database server (not a SQLite file) for the rest."""
        return bool(self.redis_url) and not self.database_url.startswith("sqlite")

    def __post_init__(self) -> None:
        if not self.database_url:
            url = _env("DATABASE_URL", f"sqlite:///{self.data_dir / 'parcel.db'}")
            object.__setattr__(self, "database_url", url)
        if not self.rasa_urls:
            if self.rasa_url:
                urls: tuple[str, ...] = (self.rasa_url,)
            else:
                listed = [u.strip() for u in _env("RASA_URLS", "").split(",") if u.strip()]
                urls = tuple(listed) or (_env("RASA_URL", f"http://{self.internal_address}:{self.rasa_port}"),)
            object.__setattr__(self, "rasa_urls", urls)
        if not self.rasa_url:
            object.__setattr__(self, "rasa_url", self.rasa_urls[0])
        if not self.actions_url:
            url = _env("ACTIONS_URL", f"http://{self.internal_address}:{self.actions_port}/webhook")
            object.__setattr__(self, "actions_url", url)
        if not self.public_url:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
            url = _env("PUBLIC_URL", f"http://{host}:{self.gateway_port}")
            object.__setattr__(self, "public_url", url.rstrip("/"))
        self._check_wechat()

    def _check_wechat(self) -> None:
        """An incomplete WeChat/WeCom configuration fails at start, naming the variable."""
        if self.wechat_token and self.wechat_encoding_aes_key:
            _check_aes_key("WECHAT_ENCODING_AES_KEY", self.wechat_encoding_aes_key)
            if not self.wechat_app_id:
                raise ValueError("WECHAT_ENCODING_AES_KEY (safe mode) needs WECHAT_APP_ID")
        if self.wecom_token:
            missing = [
                name
                for name, value in (
                    ("WECOM_CORP_ID", self.wecom_corp_id),
                    ("WECOM_ENCODING_AES_KEY", self.wecom_encoding_aes_key),
                )
                if not value
            ]
            if missing:
                raise ValueError(f"WECOM_TOKEN is set but {', '.join(missing)} is not (WeCom callbacks are encrypted)")
            _check_aes_key("WECOM_ENCODING_AES_KEY", self.wecom_encoding_aes_key)
            if self.wecom_secret and self.wecom_agent_id and not self.wecom_agent_id.strip().isdigit():
                raise ValueError("WECOM_AGENT_ID must be the numeric AgentId of the WeCom application")


def _check_aes_key(name: str, value: str) -> None:
    if len(value) != 43:
        raise ValueError(f"{name} must be the 43-character EncodingAESKey from the WeChat admin page")


def load_settings() -> Settings:
    """Read settings from the environment now (tests change the environment)."""
    return Settings()
