"""Consent and participation: the employer's consent text, enrolment with consent, withdrawal."""
