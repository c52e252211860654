"""Prometheus metrics: the instruments (``instruments``), the HTTP middleware that feeds them
(``middleware``), the ``GET /metrics`` exposition (``exposition``) and the multiprocess
directory that ``needleplan serve`` prepares for its workers (``multiprocess``).

No label carries patient data: routes are templates, outcomes and types come from fixed sets.
docs/operations.md#metrics lists the metrics.
"""
