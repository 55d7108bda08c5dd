"""Crypto orders (spec/crypto.md 8): the order object, reads, and system-created receives."""
