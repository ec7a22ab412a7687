"""Language helpers and custom Rasa NLU components (imported by the Rasa server)."""
