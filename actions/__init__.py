"""Custom actions of the parcel assistant (rasa_sdk: `--actions actions`).

Importing the package registers every action and every topic/answer handler:
  tracking     track, ETA, delay, a tracking number on its own, language detection
  exceptions   signed-not-received, damaged, lost
  delivery     failed delivery, delivery options, address change, new address
  verification last 4 digits of the recipient's phone
  returns      return steps, pickup booking, time windows
  customs      clearance status and duties
  dialogue     yes / no / not understood
  handoff      handing over to a human agent
  cases        following up cases, evidence links, callbacks
  feelings     acknowledging feelings and urgency on every turn, offering a person
  lookup       finding parcels without a number: recipient phone + last name or order id
"""

from actions import (  # noqa: F401
    cases,
    customs,
    delivery,
    dialogue,
    exceptions,
    feelings,
    handoff,
    lookup,
    returns,
    tracking,
    verification,
)


def _warm_up() -> None:
    """Load jieba/spaCy (personal-data masking) and open the store before the first
    customer message, so the first reply is as fast as the others."""
    try:
        from actions import db
        from bot.pii import mask_text

        mask_text("预热 13800000000")
        db.session_factory()
    except Exception:  # everything still loads lazily on first use
        pass


def start_warm_up() -> None:
    import threading

    threading.Thread(target=_warm_up, name="actions-warm-up", daemon=True).start()


if __import__("os").environ.get("ACTIONS_WARM_UP") == "1":  # set by `python -m bot serve`
    start_warm_up()
