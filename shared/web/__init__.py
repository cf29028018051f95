"""What every web-facing service needs: CSRF tokens, rate limits, pages with safe headers, ids.

The subscriptions service (the public pages) and the admin (the staff side) both build on these,
so a form, a page or a limit behaves the same on either side.
"""
