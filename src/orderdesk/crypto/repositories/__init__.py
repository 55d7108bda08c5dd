"""Crypto's SQL, one module per table group (as auto's repository.py): use cases call these small
named functions inside their own transaction, in the order that transaction needs."""
