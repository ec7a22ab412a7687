"""The shipment store: models, tracking-number matching, import, demo data, queries."""
