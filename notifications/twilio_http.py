"""The HTTP transport under the Twilio SDK: urllib3, one kept-alive connection pool per account.

The SDK takes its transport as ``Client(http_client=...)``: a subclass of ``twilio.http.HttpClient``
whose ``request`` answers a ``twilio.http.response.Response``. Everything else stays the SDK's:
the URL, the parameters, the Basic credentials, the errors raised for a 4xx or 5xx answer
(``TwilioRestException``) and the reading of the answer into a ``MessageInstance``.

Its default, ``TwilioHttpClient``, goes through requests, which prepares every request anew
(session merging, cookies, hooks, environment): about half of a text's time in a worker (issue 17).
requests itself sends through urllib3; this client calls urllib3 directly, with what requests
would have done settled once per process:

- the proxy for Twilio's address from ``HTTPS_PROXY`` / ``NO_PROXY`` (as requests reads them);
- the CA bundle from ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``, else certifi's, as requests;
- no retry of a POST once sent (Twilio cannot spot a resend), no redirects, the SDK's timeout for
  connecting and for each read;
- form bodies encoded as requests encodes them (a list repeats its key, ``None`` is left out).
"""
import base64
import json
import os
from urllib.parse import urlencode

import certifi
import urllib3
from requests.utils import get_environ_proxies, select_proxy
from twilio.http import HttpClient
from twilio.http.http_client import _logger
from twilio.http.response import Response


def _pairs(values) -> list[tuple[str, str]]:
    """(key, value) pairs of a dict the way requests encodes ``data=`` and ``params=``."""
    pairs = []
    for key, value in (values or {}).items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None:
                pairs.append((key, item))
    return pairs


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


class PooledHttpClient(HttpClient):
    """A Twilio SDK transport over one urllib3 pool; ``base_url`` decides the proxy (read once)."""

    def __init__(self, base_url: str, timeout: float):
        super().__init__(_logger, False, timeout)
        self.proxy = select_proxy(base_url, get_environ_proxies(base_url))  # as requests picks it (ALL_PROXY too)
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
        options = {"maxsize": 4, "cert_reqs": "CERT_REQUIRED", "ca_certs": ca_bundle}
        self.pool = urllib3.ProxyManager(self.proxy, **options) if self.proxy else urllib3.PoolManager(**options)

    def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                allow_redirects=False) -> Response:
        timeout = self.timeout if timeout is None else timeout
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        headers = dict(headers or {})
        self.log_request({"method": method.upper(), "url": url, "params": params, "headers": headers})
        query = _pairs(params)
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        body = None
        if data is not None:
            if headers.get("Content-Type") in ("application/json", "application/scim+json"):
                body = json.dumps(data)
            else:
                body = urlencode(_pairs(data))
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        answer = self.pool.request(
            method.upper(), url, body=body, headers=headers, redirect=allow_redirects, retries=False,
            timeout=urllib3.Timeout(connect=timeout, read=timeout) if timeout is not None else None,
        )
        self.log_response(answer.status, answer)
        text = answer.data.decode(_charset(answer.headers.get("Content-Type", "")), "replace")
        return Response(answer.status, text, answer.headers)
