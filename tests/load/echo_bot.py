"""An echo bot: the transport floor the load test measures claimbot against.

It is built like claimbot's Application (concurrent updates, the same rate limiter
and transport) but does no work: every text message is sent straight back.
With ECHO_REPLIES naming a JSON file of {question: [HTML message, ...]}, it sends those
messages instead, so that the floor has claimbot's own reply sizes.

    CLAIMBOT_TOKEN=... CLAIMBOT_BOT_API_URL=... python tests/load/echo_bot.py
"""

import json
import os
from pathlib import Path
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bot.tg.app import MAX_CONCURRENT_UPDATES
from bot.tg.resilience import PatientRateLimiter
from bot.tg.transport import JsonBodyRequest

REPLIES: dict[str, list[str]] = (
    json.loads(Path(os.environ["ECHO_REPLIES"]).read_text()) if "ECHO_REPLIES" in os.environ else {}
)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    if message.text not in REPLIES:
        await message.reply_text(message.text)
        return
    for part in REPLIES[message.text]:
        await message.reply_html(part, link_preview_options=NO_PREVIEW, do_quote=False)


def main() -> None:
    application: Any = (
        ApplicationBuilder()
        .token(os.environ["CLAIMBOT_TOKEN"])
        .base_url(os.environ["CLAIMBOT_BOT_API_URL"])
        .concurrent_updates(MAX_CONCURRENT_UPDATES)
        .rate_limiter(PatientRateLimiter(float(os.environ["CLAIMBOT_RATE_LIMIT_PER_SECOND"])))
        .request(JsonBodyRequest())
        .get_updates_request(JsonBodyRequest(1))
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
