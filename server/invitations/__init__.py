"""Inviting people into an employer space by e-mail, one by one or from a CSV file."""
