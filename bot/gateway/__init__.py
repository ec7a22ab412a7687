"""The gateway: customer channels, the handoff queue and the agent API in front of Rasa.

See docs/gateway-contract.md."""
