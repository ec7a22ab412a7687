"""Proof of the right to personal data, and limits on guessing it.

THE mechanism for every check that reveals personal data when it passes: the last 4
digits of a recipient's phone, a lookup by phone number + last name or order id, a
callback number, an agent's password. Use it for any new check of that kind.

Failures are counted in the shared database per subject (`lockout.py`): per parcel (or
whatever the check is about) across all conversations and channels, and per client
(the address or WeChat openid the gateway passes to Rasa as metadata "client"). After
`max_failures` failures within the window a subject is locked and the check must not run:
only a human agent can verify then. A passed check gives the conversation a grant
(`grants.py`) that expires when unused for `VERIFY_IDLE_MINUTES` and never carries into
another conversation or Rasa session.

Typical use in an action (see actions/verification.py):

    from bot.security import CLIENT, PARCEL, Subject, verification_grants, verification_lockout

    lockout = verification_lockout(factory, settings)
    ticket = lockout.begin([Subject(PARCEL, key), Subject(CLIENT, client)])   # counts a failure now
    if ticket.locked:
        ... hand off to a human ...
    elif digits_match:
        lockout.succeeded(ticket)                                             # ... withdrawn
        verification_grants(factory, settings).grant(conversation_id, [Subject(PARCEL, key)])

Settings (bot/config.py): VERIFY_MAX_FAILURES_PER_PARCEL, VERIFY_MAX_FAILURES_PER_CLIENT,
VERIFY_LOCKOUT_MINUTES, VERIFY_IDLE_MINUTES, LOGIN_MAX_FAILURES, LOGIN_WINDOW_MINUTES.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import sessionmaker

from bot.clock import utcnow
from bot.config import Settings
from bot.security.grants import Grants
from bot.security.lockout import AttemptTicket, Lockout, Policy, Subject

# Subject kinds of the customer-side checks.
PARCEL = "parcel"  # a tracking key
CLIENT = "client"  # who tries: the gateway's client key (address or channel identity)
PHONE = "phone"  # a recipient phone number (finding parcels by phone + last name or order id)
# ... and of the agents' login.
LOGIN_USER = "login_user"
LOGIN_CLIENT = "login_client"
# Who asks about case references that are not theirs (a client, or a conversation):
# references are sequential, so guessing them is counted like any other guess.
CASE_REFERENCE = "case_reference"
# Message metadata the gateway sets (a customer cannot): false when the message comes from
# someone who could not prove to be the conversation's customer (a REST post as a known
# sender without its conversation secret). No grant of the conversation serves such a message.
SENDER_PROVEN = "sender_proven"

__all__ = [
    "CASE_REFERENCE",
    "CLIENT",
    "LOGIN_CLIENT",
    "LOGIN_USER",
    "PARCEL",
    "PHONE",
    "SENDER_PROVEN",
    "AttemptTicket",
    "Grants",
    "Lockout",
    "Policy",
    "Subject",
    "login_lockout",
    "reference_lockout",
    "verification_grants",
    "verification_lockout",
]


def verification_lockout(factory: sessionmaker, settings: Settings, clock: Callable[[], datetime] = utcnow) -> Lockout:
    """The lockout of customer checks: per subject (parcel, phone, ...) and per client."""
    window = timedelta(minutes=settings.verify_lockout_minutes)
    per_subject = Policy(settings.verify_max_failures_per_parcel, window)
    return Lockout(
        factory,
        {PARCEL: per_subject, CLIENT: Policy(settings.verify_max_failures_per_client, window)},
        default=per_subject,
        clock=clock,
    )


def verification_grants(factory: sessionmaker, settings: Settings, clock: Callable[[], datetime] = utcnow) -> Grants:
    return Grants(factory, timedelta(minutes=settings.verify_idle_minutes), clock)


def reference_lockout(factory: sessionmaker, settings: Settings, clock: Callable[[], datetime] = utcnow) -> Lockout:
    """Case references asked about that the asker may not see (or that do not exist), per
    client and per conversation: VERIFY_MAX_FAILURES_PER_PARCEL within VERIFY_LOCKOUT_MINUTES."""
    policy = Policy(settings.verify_max_failures_per_parcel, timedelta(minutes=settings.verify_lockout_minutes))
    return Lockout(factory, {CASE_REFERENCE: policy}, default=policy, clock=clock)


def login_lockout(factory: sessionmaker, settings: Settings, clock: Callable[[], datetime] = utcnow) -> Lockout:
    """The agents' login throttle: failed logins per user name and per client address."""
    policy = Policy(settings.login_max_failures, timedelta(minutes=settings.login_window_minutes))
    return Lockout(factory, {LOGIN_USER: policy, LOGIN_CLIENT: policy}, default=policy, clock=clock)
