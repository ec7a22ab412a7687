"""The actions' door to the shipment store.

One session factory per DATABASE_URL (tables created once), and small wrappers
around bot.store.repository that open a transaction, detach the results and turn
any database failure into `StoreError` so an action can answer politely.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.cases import service as case_service
from bot.cases.models import Case
from bot.config import load_settings
from bot.db import init_db, make_engine, make_session_factory, session_scope
from bot.store import repository
from bot.store.models import Shipment

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


def get_shipments(keys: Iterable[str]) -> dict[str, Shipment | None]:
    """{normalised key: shipment (with events, exception, delivery, customs) or None}.

    A key that is no tracking number but a shop's order number stands for the order's
    shipments, keyed by their tracking numbers (in the customer's order)."""
    keys = list(keys)
    if not keys:
        return {}
    with transaction() as session:
        found = repository.get_shipments(session, keys)
        missing = [key for key, shipment in found.items() if shipment is None]
        orders = repository.get_shipments_by_order(session, missing) if missing else {}
        session.expunge_all()
    if not orders:
        return found
    result: dict[str, Shipment | None] = {}
    for key, shipment in found.items():
        if shipment is None and key in orders:
            for of_order in orders[key]:
                result.setdefault(of_order.tracking_key, of_order)
        elif key not in result or shipment is not None:
            result[key] = shipment
    return result


def shipments_for_recipient_phone(digits: str) -> list[Shipment]:
    """Shipments sent to this recipient phone, newest first (check the recipient before showing any)."""
    with transaction() as session:
        found = repository.shipments_for_recipient_phone(session, digits)
        session.expunge_all()
    return found


def get_shipment(key: str) -> Shipment | None:
    return get_shipments([key]).get(key)


def cases_for_conversation(conversation_id: str, include_done: bool = True) -> list[Case]:
    """Cases of this conversation (the gateway also links the customer's earlier ones), newest first."""
    with transaction() as session:
        cases = case_service.cases_for_conversations(session, [conversation_id], include_done=include_done)
        session.expunge_all()
    return cases


def case_by_reference(reference: str) -> Case | None:
    with transaction() as session:
        case = case_service.find_by_reference(session, reference)
        session.expunge_all()
    return case


def open_cases_for_parcels(keys: Iterable[str]) -> list[Case]:
    """Open cases about any of these parcels, oldest first."""
    found: dict[int, Case] = {}
    with transaction() as session:
        for key in keys:
            for case in case_service.open_cases_for_parcel(session, key):
                found.setdefault(case.id, case)
        session.expunge_all()
    return list(found.values())


# --------------------------------------------------------------------------- writes


def open_case(
    case_type: str,
    shipments: Iterable[Shipment],
    conversation_id: str | None,
    *,
    language: str = "zh",
    summary: str | None = None,
    details: Mapping[str, Any] | None = None,
    window: tuple[datetime, datetime] | None = None,
    priority: str = "normal",
    reuse_open: bool = True,
) -> tuple[Case, bool]:
    """Open a case for the customer (bot/cases): returns (case, created). With
    `reuse_open` the open case of the same type on the same parcel is returned instead of
    a duplicate (a booking gets the new window)."""
    parcels = [(s.tracking_key, s.tracking_number) for s in shipments]
    with transaction() as session:
        case, created = case_service.open_case(
            session,
            load_settings(),
            case_type,
            clock.utcnow(),
            conversation_id=conversation_id,
            parcels=parcels,
            summary=summary,
            details=dict(details or {}),
            language=language,
            priority=priority,
            window=window,
            reuse_open=reuse_open,
        )
        if not created and window is not None and case.window_end != window[1]:
            case_service.reschedule(session, case, window, clock.utcnow())
            case.details = {**(case.details or {}), **dict(details or {})}
        session.flush()
        loaded = case_service.get_case(session, case.id)
        assert loaded is not None  # flushed in this transaction
        case = loaded
        reference = case.reference
        session.expunge_all()
    logger.info("case %s (%s) %s", reference, case_type, "opened" if created else "found open")
    return case, created


def update_case_details(case_id: int, details: Mapping[str, Any]) -> None:
    """Newer facts from the customer (e.g. a corrected address) for an open case."""
    with transaction() as session:
        case = session.get(Case, case_id)
        if case is not None:
            case.details = {**(case.details or {}), **dict(details)}
            case_service.add_event(
                session,
                case,
                case_service.CaseEventKind.NOTE,
                case_service.CUSTOMER,
                clock.utcnow(),
                text="details updated by the customer: " + ", ".join(sorted(details)),
            )
