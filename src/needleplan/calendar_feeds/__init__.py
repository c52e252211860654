"""Subscribed iCalendar feeds of a provider, room, location or client (issue 14)."""
