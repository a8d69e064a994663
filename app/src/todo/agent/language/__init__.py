"""What a chat message asks for: the rules engine's language understanding (pure, no I/O).

``rules.parse(message, today)`` turns one message into an ``Intent``: add a task (with a due date and
priority picked out of the words), list tasks (by status, search text, due window or order),
complete / reopen / delete / rename / reschedule / reprioritise one task or all of a kind, help,
small talk, a yes/no, a "did you mean" for a typo, or ``Unknown``. Nothing here knows about storage
or earlier messages; ``todo.agent.recall`` resolves references against the history.

Where things live: ``intents`` (what a message can mean), ``dates`` (dates and times of day),
``priorities``, ``refs`` (how a message names tasks), ``typos`` and ``rules`` (the rule table).
"""
