"""Nominations service: programmes, the organisation tree and roll, nominations and their review."""
