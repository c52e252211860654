"""Helpers with no clinic knowledge: time, ids, pagination, ETags, request models."""
