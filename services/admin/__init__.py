"""The staff side: consent audit, exports, per-topic numbers, operations and accounts.

A service of its own (``varsel run admin``), so the public pages can face the internet while
this stays on an internal network. It reads the other services only through their ``read_api``
and owns only its accounts, sessions, API tokens and audit log.
"""
