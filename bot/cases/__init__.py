"""Cases: one model for every follow-up the assistant promises (bot/cases/README in the
package docstrings): vocabulary, tables, SLA, references, the service rules."""
