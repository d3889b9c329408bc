"""Signed lifecycle events (keys, memberships, projects, users) for internal subscribers."""
