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
"""
from actions import (  # noqa: F401
    customs,
    delivery,
    dialogue,
    exceptions,
    handoff,
    returns,
    tracking,
    verification,
)
