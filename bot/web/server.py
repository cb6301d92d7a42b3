"""The public read-only web site and JSON API (`claimbot web`): aiohttp handlers over the
bot's own answer service and card cache, following data changes as the bot does. It
never writes to the database."""

import asyncio
import json
import logging
import signal
from collections import OrderedDict
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.orm import Session, sessionmaker

from bot.answering import Answer, AnswerService
from bot.freshness import ChangeWatch, IndexKeeper
from bot.health import Health
from bot.i18n import Language, translator
from bot.metrics import METRICS_PATH, WEB_REQUESTS, follow, metrics_page
from bot.runtime import Runtime
from bot.web.pages import (
    language_query,
    page_language,
    render_event,
    render_index,
    render_not_found,
    search_result,
)
from bot.web.views import API_VERSION, event_json, event_page, listing_json
from config import Settings
from db.engine import unit_of_work
from db.export_formats import claim_reviews
from db.public_queries import event_dataset

log = logging.getLogger(__name__)

HTML = "text/html"
ASK_USAGE = "Give the question as ?q=..., e.g. /api/ask?q=makiivka+death+toll"
# Who the embedded ClaimReviews name as their author when CLAIMBOT_ORGANISATION is unset.
DEFAULT_AUTHOR = "claimbot"


class PageCache:
    """Rendered event pages, each kept until the data changes (the index keeper has seen a
    newer change than the page was rendered from) and up to `size` pages, least recently
    shown first out. A page served from here needs no thread, query or rendering."""

    def __init__(self, keeper: IndexKeeper, size: int) -> None:
        self._keeper = keeper
        self._size = size
        self._pages: OrderedDict[tuple[str, ...], tuple[int | None, bytes]] = OrderedDict()

    @property
    def version(self) -> int | None:
        """The data's version now: read it before loading what a page is made from, so
        that a change made meanwhile leaves the page stale rather than wrongly fresh."""
        return self._keeper.state.change_id

    def get(self, key: tuple[str, ...]) -> bytes | None:
        kept = self._pages.get(key)
        if kept is None or kept[0] != self.version:
            return None
        self._pages.move_to_end(key)
        return kept[1]

    def put(self, key: tuple[str, ...], version: int | None, page: bytes) -> None:
        self._pages[key] = (version, page)
        self._pages.move_to_end(key)
        while len(self._pages) > self._size:
            self._pages.popitem(last=False)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(data, ensure_ascii=False).encode(),
        status=status,
        content_type="application/json",
    )


class WebSite:
    def __init__(
        self,
        service: AnswerService,
        sessions: sessionmaker[Session],
        keeper: IndexKeeper,
        health: Health,
        settings: Settings,
    ) -> None:
        self._service = service
        self._sessions = sessions
        self._health = health
        self._public_url = settings.public_url
        self._author = settings.organisation or DEFAULT_AUTHOR
        self._pages = PageCache(keeper, settings.card_cache_size)

    def application(self) -> web.Application:
        app = web.Application(middlewares=[_counted])
        app.add_routes(
            [
                web.get("/", self.index),
                web.get("/events/{slug}", self.event),
                web.get("/healthz", self.healthz),
                web.get(METRICS_PATH, metrics_page),
                *(
                    route
                    for prefix in ("/api", f"/api/{API_VERSION}")
                    for route in (
                        web.get(f"{prefix}/events", self.api_events),
                        web.get(f"{prefix}/events/{{slug}}", self.api_event),
                        web.get(f"{prefix}/ask", self.api_ask),
                    )
                ),
            ]
        )
        return app

    async def _answer(self, question: str) -> Answer:
        answer = self._service.ask_from_memory(question)
        if answer is None:
            answer = await asyncio.to_thread(self._service.ask, question)
        return answer

    async def index(self, request: web.Request) -> web.Response:
        language, chosen = _language(request)
        tr, keep = translator(language), language_query(language, chosen)
        question = request.query.get("q", "").strip() or None
        result = search_result(tr, await self._answer(question), keep) if question else None
        events = await asyncio.to_thread(self._service.events, language)
        page = render_index(tr, events, question, result, keep)
        return web.Response(text=page, content_type=HTML, headers=_VARY)

    def _reviews(self, slug: str, public_url: str) -> list[dict[str, Any]]:
        with unit_of_work(self._sessions) as session:
            dataset = event_dataset(session, slug)
        return [] if dataset is None else claim_reviews(dataset, public_url, self._author)

    async def event(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        language, chosen = _language(request)
        tr, keep = translator(language), language_query(language, chosen)
        public_url = self._public_url or str(request.url.origin())
        key = (slug, public_url, language, keep)
        body = self._pages.get(key)
        if body is None:
            version = self._pages.version
            card = await asyncio.to_thread(self._service.card, slug, language)
            if card is None:
                text = render_not_found(tr, slug, keep)
                return web.Response(status=404, text=text, content_type=HTML, headers=_VARY)
            reviews = await asyncio.to_thread(self._reviews, slug, public_url)
            body = render_event(tr, event_page(card, tr), reviews, keep).encode()
            self._pages.put(key, version, body)
        return web.Response(body=body, content_type=HTML, charset="utf-8", headers=_VARY)

    async def api_events(self, request: web.Request) -> web.Response:
        events = await asyncio.to_thread(self._service.events)
        return _json({"api_version": API_VERSION, "events": [listing_json(e) for e in events]})

    async def api_event(self, request: web.Request) -> web.Response:
        slug = request.match_info["slug"]
        card = await asyncio.to_thread(self._service.card, slug)
        if card is None:
            return _json({"api_version": API_VERSION, "error": f"no event {slug!r}"}, 404)
        return _json(event_json(card))

    async def api_ask(self, request: web.Request) -> web.Response:
        question = request.query.get("q", "").strip()
        if not question:
            return _json({"api_version": API_VERSION, "error": ASK_USAGE}, 400)
        answer = await self._answer(question)
        return _json({"api_version": API_VERSION, **answer.to_json()})

    async def healthz(self, request: web.Request) -> web.Response:
        healthy, report = await self._health.report()
        return _json(report, 200 if healthy else 503)


# A page's language may come from the browser's Accept-Language: caches must keep them apart.
_VARY = {"Vary": "Accept-Language"}


def _language(request: web.Request) -> tuple[Language, bool]:
    return page_language(request.query.get("lang"), request.headers.get("Accept-Language"))


@web.middleware
async def _counted(request: web.Request, handler: Handler) -> web.StreamResponse:
    # By route pattern, not path: one series for every event page, whatever the slug.
    info = request.match_info.route.resource
    route = info.canonical if info is not None else "unmatched"
    try:
        response = await handler(request)
    except web.HTTPException as error:
        WEB_REQUESTS.labels(route, str(error.status)).inc()
        raise
    WEB_REQUESTS.labels(route, str(response.status)).inc()
    return response


def serve_web(ctx: Runtime, service: AnswerService) -> None:
    asyncio.run(_serve_until_signalled(ctx, service))


async def _serve_until_signalled(ctx: Runtime, service: AnswerService) -> None:
    settings = ctx.settings
    service.watch_commits(ctx.sessions)  # as the bot does (bot/tg/serve.py)
    watch = ChangeWatch(ctx.sessions, since=service.built_from)
    keeper = IndexKeeper(service, watch, settings.index_poll_seconds)
    await asyncio.to_thread(keeper.check)
    follow(keeper, ctx.sessions)
    site = WebSite(service, ctx.sessions, keeper, Health(ctx.engine, keeper), settings)
    runner = web.AppRunner(site.application(), access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    keeping = asyncio.create_task(keeper.run(), name="index")
    try:
        await web.TCPSite(runner, settings.web_host, settings.web_port).start()
        log.info("serving the web site on http://%s:%d", settings.web_host, settings.web_port)
        await stop.wait()
    finally:
        keeping.cancel()
        await runner.cleanup()
