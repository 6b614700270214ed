"""A thin client of MAX's Bot API (REST, JSON): one place for the address, the token and
what MAX answers when it refuses.

The token goes bare in the `Authorization` header (no `Bearer`; MAX no longer accepts it as
`?access_token=`). MAX's errors are {"code": "...", "message": "..."} with the HTTP status.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import urlsplit

import aiohttp

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://platform-api2.max.ru"
Json = dict[str, Any]


class MaxApiError(Exception):
    """MAX refused a call (or could not be reached: status 0)."""

    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


class MaxNetworkError(Exception):
    """The request did not get an answer (`never_sent`: the connection never opened)."""

    def __init__(self, description: str, *, never_sent: bool) -> None:
        super().__init__(description)
        self.never_sent = never_sent


class MaxApi:
    def __init__(self, token: str, base_url: str = DEFAULT_BASE_URL, timeout: float = 60) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _auth_for(self, url: str) -> dict[str, str]:
        """The token only for MAX's own API host, never for a file's CDN address."""
        same = urlsplit(url).netloc == urlsplit(self.base_url).netloc
        return {"Authorization": self._token} if same else {}

    async def call(
        self,
        verb: str,
        path: str,
        *,
        params: Json | None = None,
        body: Json | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the HTTP client's own limit
    ) -> Json:
        """One API call; the answer's JSON, or MaxApiError / MaxNetworkError."""
        query = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        url = f"{self.base_url}{path}"
        try:
            async with self._http().request(
                verb,
                url,
                params=query,
                json=body,
                headers={"Authorization": self._token},
                timeout=aiohttp.ClientTimeout(total=timeout or self._timeout),
            ) as response:
                raw = await response.read()
                return _answer(response.status, raw, response.headers.get("Retry-After"))
        except aiohttp.ClientConnectorError as error:
            raise MaxNetworkError(f"{type(error).__name__}: {error}", never_sent=True) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise MaxNetworkError(f"{type(error).__name__}: {error}", never_sent=False) from error

    async def upload(self, kind: str, content: bytes, filename: str) -> str:
        """Upload a file (`kind`: image, file, video, audio) and return its token, which
        attaches it to a message (POST /uploads gives the address, the file goes there)."""
        endpoint = await self.call("POST", "/uploads", params={"type": kind})
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("data", content, filename=filename)
        try:
            async with self._http().post(
                endpoint["url"], data=form, headers=self._auth_for(endpoint["url"])
            ) as response:
                raw = await response.read()
                answer = _answer(response.status, raw, response.headers.get("Retry-After"))
        except aiohttp.ClientConnectorError as error:
            raise MaxNetworkError(f"{type(error).__name__}: {error}", never_sent=True) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise MaxNetworkError(f"{type(error).__name__}: {error}", never_sent=False) from error
        # An image's token is in `photos`, a file's in `token`; video and audio get theirs
        # from POST /uploads itself.
        photos = answer.get("photos")
        if isinstance(photos, dict) and photos:
            first = next(iter(photos.values()))
            if isinstance(first, dict) and first.get("token"):
                return str(first["token"])
        token = answer.get("token") or endpoint.get("token")
        if not token:
            raise MaxApiError(502, "upload.failed", "the upload answer has no token")
        return str(token)

    async def stream(self, url: str, chunk_size: int = 65536) -> AsyncGenerator[bytes, None]:
        try:
            async with self._http().get(url, headers=self._auth_for(url)) as response:
                if response.status >= 400:
                    raise MaxApiError(response.status, "download.failed", url)
                async for chunk in response.content.iter_chunked(chunk_size):
                    yield chunk
        except aiohttp.ClientError as error:
            raise MaxNetworkError(f"{type(error).__name__}: {error}", never_sent=False) from error


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _answer(status: int, raw: bytes, retry_after: str | None) -> Json:
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if status < 400:
        return data
    wait = None
    if status == 429:
        try:
            wait = float(retry_after) if retry_after else 1.0
        except ValueError:
            wait = 1.0
    code = str(data.get("code") or data.get("error") or status)
    message = str(data.get("message") or raw[:200].decode(errors="replace") or "")
    raise MaxApiError(status, code, message, wait)
