"""Running the bot for a clinic: the service around it (rate limit, staff store and accounts, scrubbing,
index scheduling, health and metrics, HTTP guards). Used by the app and the UI; never by ``bot`` or ``index``.
"""
