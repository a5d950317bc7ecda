"""Peer voting (民主测评): voter roll, one-time ballot credentials, secret ballots with receipts, tallies, turnout."""
