"""The terminal's link to the backend: its identity (enrolment), signed requests,
the relay that drains the outbox, the heartbeat and the config pull."""
