"""The double's gateway: one websocket per bot connection, sessions that survive a drop for RESUME.

The transport compression is the one the client asks for in the URL query, served the way discord.py 2.7
decompresses it (`discord/utils.py`): `zlib-stream` is one zlib stream per connection whose every message ends
with a Z_SYNC_FLUSH (`00 00 ff ff`); `zstd-stream` is one zstd frame per connection, each message flushed as a
block so a streaming decompressor yields it whole. Without `compress`, frames are plain JSON text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import zstandard
from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE = 3
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

# Intents (Discord "Gateway Intents" table).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

HEARTBEAT_INTERVAL_MS = 41250
# Kept per session for RESUME; older events are dropped and a RESUME that needs them is refused.
REPLAY_BUFFER = 5000


class _Encoder:
    """Turns one gateway payload into the frame the client expects on this connection."""

    def __init__(self, compress: str | None) -> None:
        self.compress = compress
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._zstd = zstandard.ZstdCompressor().compressobj() if compress == "zstd-stream" else None

    def encode(self, payload: dict[str, Any]) -> str | bytes:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        try:
            text.encode()
        except UnicodeEncodeError:
            # A lone surrogate (a modified client's text) has no UTF-8 form: JSON carries it as a \uXXXX escape.
            text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
        if self._zlib is not None:
            raw = text.encode()
            return self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            raw = text.encode()
            return self._zstd.compress(raw) + self._zstd.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        return text


@dataclass
class Session:
    id: str
    intents: int
    seq: int = 0
    # (seq, payload) of every dispatch sent or due on this session, for RESUME.
    buffer: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    connection: Connection | None = None
    invalid: bool = False
    ready_done: bool = False


class Connection:
    def __init__(self, ws: web.WebSocketResponse, encoder: _Encoder) -> None:
        self.ws = ws
        self.encoder = encoder
        self.session: Session | None = None
        self.lock = asyncio.Lock()

    async def send(self, payload: dict[str, Any]) -> None:
        frame = self.encoder.encode(payload)
        async with self.lock:
            if self.ws.closed:
                return
            try:
                if isinstance(frame, bytes):
                    await self.ws.send_bytes(frame)
                else:
                    await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                # The peer went away mid-send; the session keeps the event for a RESUME.
                pass


EventFilter = Callable[[Session, str, dict[str, Any]], dict[str, Any] | None]


class GatewayHub:
    """All gateway sessions of the double, and the dispatch of events to them."""

    def __init__(
        self,
        *,
        token: Callable[[], str],
        privileged_intents: Callable[[], int],
        ready_payload: Callable[[Session], dict[str, Any]],
        guild_creates: Callable[[Session], list[dict[str, Any]]],
        members_chunk: Callable[[dict[str, Any]], list[dict[str, Any]]],
        resume_url: Callable[[], str],
        on_change: Callable[[], None],
    ) -> None:
        self._token = token
        self._privileged = privileged_intents
        self._ready_payload = ready_payload
        self._guild_creates = guild_creates
        self._members_chunk = members_chunk
        self._resume_url = resume_url
        self._on_change = on_change
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.identified = 0
        self.resumed = 0
        self.close_codes: list[int] = []

    @property
    def ready_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if not s.invalid]

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        compress = request.query.get("compress")
        if compress not in (None, "zlib-stream", "zstd-stream"):
            raise web.HTTPBadRequest(text="unknown compress")
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, _Encoder(compress))
        self.connections.add(conn)
        try:
            await conn.send({"op": OP_HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None})
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Error while decoding payload.")
                    break
                await self._on_payload(conn, payload)
        finally:
            self.connections.discard(conn)
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            self._on_change()
        return ws

    async def _on_payload(self, conn: Connection, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == OP_HEARTBEAT:
            await conn.send({"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == OP_IDENTIFY:
            await self._identify(conn, data or {})
        elif op == OP_RESUME:
            await self._resume(conn, data or {})
        elif op == OP_REQUEST_MEMBERS:
            if conn.session is not None:
                for chunk in self._members_chunk(data or {}):
                    await self._send_dispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk)
        elif op == OP_PRESENCE:
            return
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if data.get("token") != self._token():
            self.close_codes.append(4004)
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self._privileged():
            self.close_codes.append(4014)
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = Session(id=secrets.token_hex(16), intents=intents, connection=conn)
        self.sessions[session.id] = session
        conn.session = session
        self.identified += 1
        await self._send_dispatch(session, "READY", self._ready_payload(session))
        for guild in self._guild_creates(session):
            await self._send_dispatch(session, "GUILD_CREATE", guild)
        session.ready_done = True
        self._on_change()

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        if (
            data.get("token") != self._token()
            or session is None
            or session.invalid
            or not isinstance(seq, int)
            or (session.buffer and seq < session.buffer[0][0] - 1)
        ):
            await conn.send({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        old = session.connection
        if old is not None and old is not conn:
            with contextlib.suppress(Exception):
                await old.ws.close(code=4000)
        session.connection = conn
        conn.session = session
        for event_seq, event in list(session.buffer):
            if event_seq > seq:
                await conn.send(event)
        self.resumed += 1
        await self._send_dispatch(session, "RESUMED", {})
        self._on_change()

    async def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        payload = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        if event not in ("READY", "RESUMED"):
            session.buffer.append((session.seq, payload))
            if len(session.buffer) > REPLAY_BUFFER:
                del session.buffer[: len(session.buffer) - REPLAY_BUFFER]
        if session.connection is not None:
            await session.connection.send(payload)

    async def dispatch(self, event: str, data: dict[str, Any], *, shape: EventFilter | None = None) -> None:
        """Send an event to every live session; `shape` adapts (or withholds, by None) it per session."""
        for session in self.ready_sessions:
            shaped = shape(session, event, data) if shape is not None else data
            if shaped is not None:
                await self._send_dispatch(session, event, shaped)

    async def drop(self, *, resumable: bool) -> None:
        """Close every bot connection as a network fault would, or invalidate the sessions first."""
        for session in self.ready_sessions:
            conn = session.connection
            if conn is None:
                continue
            if resumable:
                await conn.ws.close(code=4000, message=b"Unknown error.")
            else:
                session.invalid = True
                await conn.send({"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})

    async def close_all(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001)

    def resume_gateway_url(self) -> str:
        return self._resume_url()
