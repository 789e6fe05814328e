"""The core calendar, shared by every programme model: each person's agenda page, one event as
an ``.ics`` file, and a private iCalendar feed (``/calendrier/<token>.ics``) for Outlook,
Thunderbird and phone calendars.

The events come from the models the employer has enabled, through
``ProgrammeModel.calendar_events(profile_id, start, end)``: the core never names a model."""
