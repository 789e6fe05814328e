"""Satisfaction surveys: short questionnaires after a session, 30 days after joining, and when
an accompaniment ends (a binôme closes...). The employer edits the questions (versioned: an edit
writes a new version, past answers keep theirs). Answers are anonymous: a response row holds no
person, only the day it was given; a separate row says that an invitation was answered, so that
nobody answers twice. Référents see results only aggregated, from 5 answers on."""
