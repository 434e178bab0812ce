"""The project's aiohttp web server: web chat, JSON API, health check, and the routes that
channel adapters (Telegram and Zalo webhooks) add to it."""
