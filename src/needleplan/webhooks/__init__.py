"""Webhooks: endpoints (admin), deliveries written with each event, a worker that sends them per
Standard Webhooks 1.0, signed, retried, and guarded against server-side request forgery."""
