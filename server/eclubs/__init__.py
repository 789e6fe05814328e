"""E-clubs, the network's webinars (issue #6): sessions with their agenda, registrations with
a confirmation and a reminder by e-mail (with an ``.ics`` invitation), the replay and resources
afterwards, an iCalendar feed, and the members' questions ("À vos questions").

``service.create_eclub(...)`` is the one way to create an e-club (pages, API, and the topic
polls of ``server/polls/`` when a winning topic becomes the next e-club). See docs/eclubs.md."""
