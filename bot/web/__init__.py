"""The public read-only web site and JSON API: Telegram-free, beside `bot/tg/`."""
