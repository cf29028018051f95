"""Every page state and every mail's HTML part passes the W3C Nu HTML checker with zero errors.

The pages come from the real app over ASGI on SQLite, driven through each state as a person
reaches it (``public_pages``, ``admin_pages``); the mails from the mailer's own rendering
(``mails``). All go to the checker in one run (``conftest``): it starts a Java VM each time.
"""

ADDRESS = "kari.nordmann@example.no"
HOSTILE = 'Norge i verden <script>alert(1)</script>"><img src=x onerror=alert(2)>'
