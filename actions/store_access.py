"""The actions' door to the shipment store.

One session factory per DATABASE_URL (tables created once), and small wrappers
around bot.store.repository that open a transaction, detach the results and turn
any database failure into `StoreError` so an action can answer politely.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from actions import clock
from bot.config import load_settings
from bot.db import init_db, make_engine, make_session_factory, session_scope
from bot.store import repository
from bot.store.models import ServiceRequest, Shipment

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_factories: dict[str, sessionmaker] = {}
_engines: dict[str, Engine] = {}


class StoreError(RuntimeError):
    """The shipment store could not be read or written."""


def session_factory() -> sessionmaker:
    """The session factory for the current DATABASE_URL (engine and tables made once)."""
    url = load_settings().database_url
    factory = _factories.get(url)
    if factory is not None:
        return factory
    with _lock:
        factory = _factories.get(url)
        if factory is None:
            try:
                engine = make_engine(url)
                init_db(engine)
            except SQLAlchemyError as exc:
                raise StoreError(f"cannot open the shipment store: {type(exc).__name__}") from exc
            _engines[url] = engine
            factory = _factories[url] = make_session_factory(engine)
    return factory


def reset_for_tests() -> None:
    """Forget every engine (tests point DATABASE_URL at a new file)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()


@contextmanager
def transaction() -> Iterator[Session]:
    """A session in a transaction; database errors surface as StoreError."""
    try:
        with session_scope(session_factory()) as session:
            yield session
    except SQLAlchemyError as exc:
        raise StoreError(f"shipment store error: {type(exc).__name__}") from exc


# --------------------------------------------------------------------------- reads


def get_shipments(keys: Iterable[str]) -> dict[str, Optional[Shipment]]:
    """{normalised key: shipment (with events, exception, delivery, customs) or None}."""
    keys = list(keys)
    if not keys:
        return {}
    with transaction() as session:
        found = repository.get_shipments(session, keys)
        session.expunge_all()
    return found


def get_shipment(key: str) -> Optional[Shipment]:
    return get_shipments([key]).get(key)


def open_request(shipment: Shipment, kind: str) -> Optional[ServiceRequest]:
    """The oldest open request of `kind` on the shipment, if any."""
    with transaction() as session:
        attached = session.get(Shipment, shipment.id)
        if attached is None:
            return None
        requests = repository.open_requests_for(session, attached, kind)
        session.expunge_all()
    return requests[0] if requests else None


def requests_for_conversation(conversation_id: str) -> list[ServiceRequest]:
    """Service requests this conversation created, oldest first (not in repository)."""
    with transaction() as session:
        stmt = (
            select(ServiceRequest)
            .where(ServiceRequest.conversation_id == conversation_id)
            .order_by(ServiceRequest.created_at, ServiceRequest.id)
        )
        rows = list(session.execute(stmt).scalars())
        session.expunge_all()
    return rows


# --------------------------------------------------------------------------- writes


def create_request(
    kind: str,
    shipment: Optional[Shipment],
    conversation_id: Optional[str],
    details: Optional[Mapping[str, Any]] = None,
    time_window: Optional[tuple[datetime, datetime]] = None,
    *,
    reuse_open: bool = False,
) -> tuple[ServiceRequest, bool]:
    """Record a service request; returns (request, created).

    With `reuse_open`, an open request of the same kind on the same shipment is
    returned instead of a duplicate (claims are opened once per parcel).
    """
    with transaction() as session:
        attached = session.get(Shipment, shipment.id) if shipment is not None else None
        if reuse_open and attached is not None:
            existing = repository.open_requests_for(session, attached, kind)
            if existing:
                session.expunge_all()
                return existing[0], False
        request = repository.create_service_request(
            session, kind, attached, conversation_id, details, time_window, now=clock.now()
        )
        reference = request.reference
        session.expunge_all()
    logger.info("service request %s (%s) created", reference, kind)
    return request, True
