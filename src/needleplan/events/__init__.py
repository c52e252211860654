"""The change feed: events written with the change (the outbox), read by cursor (GET /v1/events)."""
