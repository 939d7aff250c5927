"""The Twilio SDK's transport (notifications.twilio_http): what reaches Twilio, and what comes back.

The SDK itself builds the request and reads the answer; these tests hold what the transport
adds, against the loopback Twilio stub: credentials, the form body, errors, proxy and timeout.
"""
import base64
import socket
import threading
from urllib.parse import parse_qs

import pytest
from twilio.base.exceptions import TwilioRestException

from notifications import channels
from notifications.stubs import TwilioStub
from notifications.twilio_http import PooledHttpClient

CREDENTIALS = channels.TwilioCredentials("AC" + "c3" * 16, "the-auth-token", "+15005550006")


@pytest.fixture
def stub(settings):
    server = TwilioStub()
    settings.TWILIO_API_BASE = server.url
    yield server
    server.close()


def test_a_text_reaches_twilio_with_the_account_credentials_and_every_form_value(stub):
    client = channels.Twilio(CREDENTIALS).client
    message = client.messages.create(to="+12125550142", from_="+15005550006", body="Ünïcode & symbols = fine?",
                                     media_url=["https://example.com/a.png", "https://example.com/b.png"])
    [sent] = stub.messages
    assert message.sid == sent["sid"] and message.status == "queued"
    assert sent["authorization"] == "Basic " + base64.b64encode(f"{CREDENTIALS.account_sid}:the-auth-token".encode()).decode()
    form = parse_qs(sent["raw_body"])
    assert form["Body"] == ["Ünïcode & symbols = fine?"]
    assert form["MediaUrl"] == ["https://example.com/a.png", "https://example.com/b.png"]  # a list repeats its key
    assert "StatusCallback" not in form  # values the SDK leaves unset are not sent


def test_a_refusal_from_twilio_is_the_sdk_error_with_twilio_code(settings):
    refusing = TwilioStub(fail_with=400)
    settings.TWILIO_API_BASE = refusing.url
    try:
        with pytest.raises(TwilioRestException) as refused:
            channels.Twilio(CREDENTIALS).client.messages.create(to="+1", from_="+15005550006", body="Hello")
    finally:
        refusing.close()
    assert refused.value.status == 400 and refused.value.code == 21211
    assert "not a valid phone number" in refused.value.msg


def test_an_address_in_no_proxy_is_reached_directly(monkeypatch):
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "api.twilio.com")
    assert PooledHttpClient("https://api.twilio.com", timeout=5).proxy is None


def test_a_twilio_that_never_answers_ends_in_an_error_after_the_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    try:
        client = PooledHttpClient("http://127.0.0.1", timeout=0.3)
        with pytest.raises(Exception, match="(?i)timed out"):
            client.request("POST", f"http://127.0.0.1:{listener.getsockname()[1]}/Messages.json", data={"Body": "x"})
    finally:
        for connection, _address in accepted:
            connection.close()
        listener.close()


def test_all_proxy_is_used_when_no_https_proxy_is_set(monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALL_PROXY", "http://proxy.example:3128")
    assert PooledHttpClient("https://api.twilio.com", timeout=5).proxy == "http://proxy.example:3128"
