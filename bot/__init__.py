"""Parcel assistant: shipment store, NLU components, gateway and process supervisor."""
