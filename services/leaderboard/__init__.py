"""Leaderboard projector: builds the public read model the dashboard reads, from every service's events."""
