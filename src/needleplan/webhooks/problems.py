"""The problem a webhook URL that the SSRF guard refuses answers with."""

from __future__ import annotations

from needleplan.problems import Problem


class WebhookUrlNotAllowed(Problem):
    status, slug, title = 422, "webhook-url-not-allowed", "Webhook URL not allowed"
    explanation = "A webhook URL must be `https` and resolve only to public addresses, so the API cannot be made to call services inside its own network. `detail` says why this one was refused. `NEEDLEPLAN_WEBHOOK_ALLOW_PRIVATE=true` allows `http` and loopback or private addresses (on-premise receivers, tests)."
