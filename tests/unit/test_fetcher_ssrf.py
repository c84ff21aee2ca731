"""SSRF guard with the private switch OFF.

The test server is on 127.0.0.1, so it is exempted explicitly and narrowly through
`private_host_allowlist=("127.0.0.1:PORT",)`; every other private target must be refused.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator

import pytest

from services.fetcher import errors as E
from services.fetcher.http import fetch, make_session
from services.fetcher.ssrf import SSRFPolicy, check_url, is_blocked_ip
from shared.config import Settings
from tests.support.httpserver import LocalServer, redirect, static

HTML = b"<html><body><p>ok</p></body></html>"


@pytest.fixture()
def srv() -> Iterator[LocalServer]:
    with LocalServer() as s:
        s.route("/ok", static(HTML))
        yield s


@pytest.fixture()
def other() -> Iterator[LocalServer]:
    """A second private server that must never be reached."""
    with LocalServer() as s:
        s.route("/", static(HTML))
        yield s


def strict(srv: LocalServer, **kw: object) -> Settings:
    return dataclasses.replace(
        Settings(),
        allow_private_hosts=False,
        private_host_allowlist=(srv.hostport,),
        total_timeout=5.0,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 wrapping 169.254.169.254
        "fe80::1%eth0",
        "not-an-ip",
    ],
)
def test_blocked_ips(ip: str) -> None:
    assert is_blocked_ip(ip)


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"])
def test_public_ips(ip: str) -> None:
    assert not is_blocked_ip(ip)


def test_allowlisted_server_itself_is_fetchable(srv: LocalServer) -> None:
    assert fetch(srv.url("/ok"), settings=strict(srv)).body == HTML


def test_allowlist_is_per_port(srv: LocalServer, other: LocalServer) -> None:
    with pytest.raises(E.BlockedAddress):
        fetch(other.url("/"), settings=strict(srv))
    assert other.hits("/") == 0


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{other}/",
        "http://127.0.0.1:{other}/",
        "http://localhost:{other}/",
        "http://[::ffff:127.0.0.1]:{other}/",
        "http://2130706433:{other}/",  # decimal 127.0.0.1
        "http://0x7f.1:{other}/",  # hex/short form
        "http://10.0.0.1/",
    ],
)
def test_redirect_to_private_target_refused(
    srv: LocalServer, other: LocalServer, target: str
) -> None:
    srv.route("/jump", redirect(target.format(other=other.port)))
    with pytest.raises(E.BlockedAddress) as ei:
        fetch(srv.url("/jump"), settings=strict(srv))
    assert not ei.value.transient
    assert other.hits("/") == 0  # refused before any connection


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:1/", "http://169.254.169.254/", "http://[::1]/", "http://[fd00::1]/"]
)
def test_private_initial_url_refused(srv: LocalServer, url: str) -> None:
    with pytest.raises(E.BlockedAddress):
        fetch(url, settings=strict(srv))


def test_switch_on_allows_private(other: LocalServer, srv: LocalServer) -> None:
    s = dataclasses.replace(strict(srv), allow_private_hosts=True)
    assert fetch(other.url("/"), settings=s).status == 200


def test_connect_time_guard_without_precheck(srv: LocalServer, other: LocalServer) -> None:
    """The session alone (no check_url) refuses private peers: the adapter enforces it."""
    session = make_session(strict(srv))
    with pytest.raises(E.BlockedAddress):
        session.get(other.url("/"), timeout=2)
    assert other.hits("/") == 0
    assert session.get(srv.url("/ok"), timeout=2).status_code == 200  # allowlisted


def test_dns_rebinding_caught_at_connect_time(
    srv: LocalServer, other: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that resolves public for the pre-check and private for the connection.

    DNS is the only thing simulated here (a resolver that flips its answer); the HTTP side is the
    real server, which must see no request.
    """
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])  # first lookup: public; later ones: loopback

    def rebinding(host: str, port: int, *args: object, **kw: object) -> list:
        if host == "rebind.test":
            ip = next(answers, "127.0.0.1")
            return real(ip, port, *args, **kw)  # type: ignore[arg-type]
        return real(host, port, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    settings = strict(srv)
    # the pre-check alone is fooled...
    assert check_url(f"http://rebind.test:{other.port}/", SSRFPolicy.from_settings(settings))
    # ...the connection is not
    answers = iter(["93.184.216.34"])
    with pytest.raises(E.BlockedAddress):
        fetch(f"http://rebind.test:{other.port}/", settings=settings)
    assert other.hits("/") == 0


def test_policy_allowlist_forms() -> None:
    p = SSRFPolicy(allowlist=("internal.example", "127.0.0.1:8080", "[::1]:9000"))
    assert p.exempt("internal.example", 1234)
    assert p.exempt("127.0.0.1", 8080) and not p.exempt("127.0.0.1", 8081)
    assert p.exempt("::1", 9000) and not p.exempt("::1", 9001)
    assert SSRFPolicy(allow_private=True).exempt("anything", 1)


def test_socket_watch_nests() -> None:
    from services.fetcher.ssrf import SocketWatch

    outer, inner = SocketWatch(), SocketWatch()
    with outer:
        with inner:
            assert SocketWatch._local.current is inner
        assert SocketWatch._local.current is outer  # the outer fetch is still watched
    assert SocketWatch._local.current is None


def test_unencodable_host_is_invalid_not_transient() -> None:
    with pytest.raises(E.InvalidURL):
        check_url("http://" + "a" * 70 + ".example/", SSRFPolicy())
