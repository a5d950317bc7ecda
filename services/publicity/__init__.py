"""Publicity service (公示): notices, objections, honours."""
