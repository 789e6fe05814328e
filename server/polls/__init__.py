"""Topic proposals and polls of the network: members propose e-club topics, animateurs sort
them and open polls (approval or ranked, Schulze), ballots are secret (see docs/polls.md)."""
