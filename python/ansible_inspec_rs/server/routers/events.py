"""Live progress: Server-Sent Events and WebSocket streams of a job's events.

Both replay what already happened (``job.events()`` starts with the history) and then follow
the job live; they end when the job ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header, Request, WebSocket
from fastapi.responses import StreamingResponse
from starlette.websockets import WebSocketDisconnect, WebSocketState

from ansible_inspec_rs import _core, errors
from ansible_inspec_rs.server.deps import ViewerExecutor
from ansible_inspec_rs.server.routers.common import ERRORS_404, new_router

router = new_router("events")

KEEPALIVE_SECONDS = 15.0
SEQ_MAX = 2**63 - 1  # events' seq is a 64-bit count
WS_NOT_FOUND = 4404


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def event_json(event: _core.Event) -> str:
    return json.dumps(event.to_dict(), default=_default, separators=(",", ":"))


async def follow(
    stream: _core.EventStream, keepalive: float | None = None, stop: asyncio.Future[Any] | None = None
) -> AsyncIterator[_core.Event | None]:
    """The stream's events; ``None`` every ``keepalive`` seconds of silence; ends early on ``stop``.

    The pending ``__anext__`` is never cancelled by a keepalive, so no event is lost.
    """
    iterator = stream.__aiter__()
    pending: asyncio.Future[_core.Event] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            waiting: set[asyncio.Future[Any]] = {pending}
            if stop is not None:
                waiting.add(stop)
            done, _ = await asyncio.wait(waiting, timeout=keepalive, return_when=asyncio.FIRST_COMPLETED)
            if stop is not None and stop in done:
                return
            if pending not in done:
                yield None
                continue
            finished, pending = pending, None
            try:
                event = finished.result()
            except StopAsyncIteration:
                return
            yield event
    finally:
        if pending is not None:
            pending.cancel()


@router.get(
    "/jobs/{job_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Event stream"}, **ERRORS_404},
)
async def job_events(
    job_id: str,
    request: Request,
    ex: ViewerExecutor,
    last_event_id: Annotated[
        int, Header(ge=0, le=SEQ_MAX, description="resume after this seq (an event's id; 0: from the start)")
    ] = 0,
) -> StreamingResponse:
    """Server-Sent Events: ``id: <seq>``, ``event: <type>``, ``data: <event JSON>``. A
    ``Last-Event-ID`` that is not an event's id is a 422 naming it."""
    job = await ex.get(job_id)

    async def body() -> AsyncIterator[str]:
        async for event in follow(job.events(), keepalive=KEEPALIVE_SECONDS):
            if event is None:
                yield ": keepalive\n\n"
            elif event.seq > last_event_id:
                yield f"id: {event.seq}\nevent: {event.type}\ndata: {event_json(event)}\n\n"

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _until_disconnect(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


@router.websocket("/jobs/{job_id}/ws")
async def job_events_ws(
    websocket: WebSocket,
    job_id: str,
    ex: ViewerExecutor,
) -> None:
    """One JSON text message per event; closes with 1000 when the job ends (4404: no such job).

    Browsers may pass the credential as ``?token=``.
    """
    await websocket.accept()
    try:
        job = await ex.get(job_id)
    except errors.NotFoundError as exc:
        await websocket.close(code=WS_NOT_FOUND, reason=str(exc)[:120])
        return
    disconnected = asyncio.ensure_future(_until_disconnect(websocket))
    try:
        async for event in follow(job.events(), stop=disconnected):
            if event is not None:
                await websocket.send_text(event_json(event))
        if websocket.client_state == WebSocketState.CONNECTED and not disconnected.done():
            await websocket.close(code=1000)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        disconnected.cancel()
