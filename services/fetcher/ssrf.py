"""SSRF guard: fetch only public http(s) addresses.

Two layers, because a check before connecting alone is defeated by DNS rebinding (the name
resolves to a public IP for the check and to 127.0.0.1 for the connection):

1. `check_url()` before each request/redirect hop: scheme, resolution, every address public.
2. `GuardedAdapter` (a requests HTTPAdapter): its urllib3 connections resolve the host themselves,
   refuse if any address is non-public, connect to a vetted IP (TLS still uses the host name for
   SNI and certificate checks) and re-check the socket's peer address after connecting.

`allow_private_hosts` disables the guard (local demo); `private_host_allowlist` exempts hosts,
given as `host` (any port) or `host:port` (`[::1]:8080` for IPv6) - tests allowlist exactly their
own server's `127.0.0.1:PORT`, so redirects to other private targets are still refused.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError

from services.fetcher.errors import BlockedAddress, ConnectionFailed, InvalidURL
from shared.urls import DEFAULT_PORTS, split_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_blocked_ip(ip: str | IPAddress) -> bool:
    """True for anything but a globally routable unicast address.

    Covers loopback, RFC 1918/4193 private, link-local (169.254.169.254 metadata), CGNAT,
    multicast, reserved, unspecified, documentation ranges, and IPv4 embedded in IPv6
    (::ffff:127.0.0.1, 6to4, NAT64), which Python 3.11's flags don't look into.
    """
    if isinstance(ip, str):
        try:
            ip = ipaddress.ip_address(ip.split("%", 1)[0].strip("[]"))  # drop IPv6 zone id
        except ValueError:
            return True  # not an IP at all: refuse rather than guess
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_blocked_ip(ip.ipv4_mapped)
        if ip.sixtofour is not None and is_blocked_ip(ip.sixtofour):
            return True
        if ip in _NAT64:
            return is_blocked_ip(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.is_site_local:
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class SSRFPolicy:
    allow_private: bool = False
    allowlist: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings: Any) -> SSRFPolicy:
        return cls(
            allow_private=bool(settings.allow_private_hosts),
            allowlist=tuple(h.strip().lower() for h in settings.private_host_allowlist),
        )

    def exempt(self, host: str, port: int) -> bool:
        """Whether private addresses are acceptable for this host:port."""
        if self.allow_private:
            return True
        host = host.lower().rstrip(".").strip("[]")
        bracketed = f"[{host}]" if ":" in host else host
        return any(e in (host, bracketed, f"{bracketed}:{port}") for e in self.allowlist)

    def resolve(self, host: str, port: int) -> list[str]:
        """Resolve host and return its addresses; BlockedAddress if any of them is non-public.

        All addresses must pass (not just the first): a name answering with both a public and a
        private address is a known trick to win a race between check and connect.
        Raises socket.gaierror when the name does not resolve.
        """
        bare = host.strip("[]")
        infos = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM)
        addrs: list[str] = []
        for _family, _type, _proto, _canon, sockaddr in infos:
            ip = str(sockaddr[0])
            if ip not in addrs:
                addrs.append(ip)
        if not self.exempt(host, port):
            for ip in addrs:
                if is_blocked_ip(ip):
                    raise BlockedAddress(
                        f"{host} resolves to non-public address {ip}; refused (SSRF guard)"
                    )
        return addrs

    def check_peer(self, host: str, port: int, sock: socket.socket) -> None:
        """Re-check the address actually connected to."""
        if self.exempt(host, port):
            return
        peer = sock.getpeername()[0]
        if is_blocked_ip(peer):
            raise BlockedAddress(f"connected to non-public address {peer} for {host}; refused")


def check_url(url: str, policy: SSRFPolicy) -> list[str]:
    """Validate scheme/host of `url` and that it resolves only to allowed addresses.

    Returns the resolved addresses. Raises InvalidURL/BadScheme, BlockedAddress, or
    ConnectionFailed when the name does not resolve (transient: DNS outages happen, and a
    name that does not exist yet may exist later; the task's max_attempts bounds the retries).
    """
    parts = split_url(url)
    host = parts.hostname or ""
    port = parts.port or DEFAULT_PORTS[parts.scheme.lower()]
    try:
        return policy.resolve(host, port)
    except BlockedAddress as exc:
        exc.url = url
        raise
    except UnicodeError as exc:  # IDNA encoding of the name failed: the URL is junk
        raise InvalidURL(f"bad host name {host!r}: {exc}", url=url) from exc
    except socket.gaierror as exc:
        raise ConnectionFailed(f"cannot resolve {host}: {exc}", url=url) from exc


# --------------------------------------------------------------------------- connect time
class SocketWatch:
    """Sockets opened by the current thread's fetch, so a watchdog can cut them at the deadline.

    Holds a dup() of each socket: shutting the dup down ends the same connection, and owning the
    descriptor means a recycled fd number can never hit an unrelated socket.
    """

    _local = threading.local()

    def __init__(self) -> None:
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._outer: SocketWatch | None = None
        self.fired = False

    def __enter__(self) -> SocketWatch:
        # Nestable: a fetch inside a fetch (robots.txt from a before_hop hook) restores the
        # outer watch on exit, so the outer fetch's next sockets are still watched.
        self._outer = getattr(SocketWatch._local, "current", None)
        SocketWatch._local.current = self
        return self

    def __exit__(self, *exc: object) -> None:
        SocketWatch._local.current = self._outer
        with self._lock:
            for s in self._socks:
                s.close()
            self._socks.clear()

    @classmethod
    def register(cls, sock: socket.socket) -> None:
        watch: SocketWatch | None = getattr(cls._local, "current", None)
        if watch is None:
            return
        with watch._lock:
            watch._socks.append(sock.dup())
            fired = watch.fired
        if fired:
            watch.fire()

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            for s in self._socks:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _GuardMixin:
    ssrf_policy: SSRFPolicy = SSRFPolicy()
    host: str
    port: int
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        try:
            addrs = self.ssrf_policy.resolve(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        name = self._dns_host
        last: Exception | None = None
        for ip in addrs:
            # Connect to the vetted IP; self.host (SNI, cert check, Host header) is unchanged.
            self._dns_host = ip
            try:
                sock = super()._new_conn()  # type: ignore[misc]
            except Exception as exc:  # noqa: BLE001 - try the next address like create_connection
                last = exc
                continue
            finally:
                self._dns_host = name
            try:
                self.ssrf_policy.check_peer(name, self.port, sock)
            except BaseException:
                sock.close()
                raise
            SocketWatch.register(sock)
            return sock
        assert last is not None
        raise last


class _NoReuseMixin:
    """One request per connection, whatever the server says about keep-alive.

    Every socket then goes through the guarded `_new_conn` (SSRF check, deadline watchdog), and
    a connection the server closed after a redirect is never picked up again (a race that turns
    into a spurious "Remote end closed connection").
    """

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            conn.close()
        super()._put_conn(None)  # type: ignore[misc]


class _WatchReuseMixin:
    """Keep-alive connections per host; a reused socket joins the current fetch's SocketWatch.

    The socket was vetted (SSRF) when it was opened; what it needs on reuse is the deadline
    watchdog of the fetch that now uses it.
    """

    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        if getattr(conn, "sock", None) is not None:
            SocketWatch.register(conn.sock)
        return conn


def make_guarded_adapter(
    policy: SSRFPolicy,
    *,
    reuse: bool = False,
    conn_mixins: tuple[type, ...] = (),
    **kwargs: Any,
) -> HTTPAdapter:
    """An HTTPAdapter whose connections enforce `policy` at connect time.

    `reuse`: keep connections alive per host (the concurrent downloader); otherwise every
    request gets a fresh connection. `conn_mixins` go in front of the connection classes.
    """

    conn_cls = type("GuardedHTTPConnection", (*conn_mixins, _GuardMixin, HTTPConnection), {})
    conns_cls = type("GuardedHTTPSConnection", (*conn_mixins, _GuardMixin, HTTPSConnection), {})
    conn_cls.ssrf_policy = policy
    conns_cls.ssrf_policy = policy
    mixin = _WatchReuseMixin if reuse else _NoReuseMixin
    pool_cls = type("GuardedHTTPPool", (mixin, HTTPConnectionPool), {"ConnectionCls": conn_cls})
    pools_cls = type("GuardedHTTPSPool", (mixin, HTTPSConnectionPool), {"ConnectionCls": conns_cls})

    class GuardedAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kw: Any) -> None:
            super().init_poolmanager(*args, **kw)
            self.poolmanager.pool_classes_by_scheme = {"http": pool_cls, "https": pools_cls}

        def proxy_manager_for(self, *args: Any, **kw: Any) -> Any:
            # Through a proxy the peer is the proxy, so the guard could not see the target.
            raise BlockedAddress("proxies are not supported by the SSRF-guarded adapter")

    return GuardedAdapter(**kwargs)
