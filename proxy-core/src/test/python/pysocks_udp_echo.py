"""Sends datagrams to a UDP echo target through a SOCKS5 proxy with PySocks, and checks the echoes.

Usage: pysocks_udp_echo.py PROXY_HOST PROXY_PORT TARGET_HOST TARGET_PORT COUNT

PySocks (Debian: python3-socks) does UDP ASSOCIATE on the first sendto of a SOCK_DGRAM
socksocket. Each datagram carries its number, so an echo cannot be mistaken for another; a
datagram with no echo within a second is sent again, up to three times (UDP promises nothing).
Prints "OK <count>" and exits 0 when every echo came back with the right content and source
port; exits 3 when PySocks is missing, 1 otherwise.
"""
import socket
import sys

try:
    import socks
except ImportError as e:
    print("PySocks is missing (Debian package python3-socks): %s" % e, file=sys.stderr)
    sys.exit(3)


def payload(index):
    """Datagram number index: its number, then (index * 97) % 1200 bytes that depend on it."""
    return b"datagram %d|" % index + bytes((index + i) % 256 for i in range((index * 97) % 1200))


def main():
    proxy_host, proxy_port, target_host, target_port, count = sys.argv[1:6]
    proxy_port, target_port, count = int(proxy_port), int(target_port), int(count)
    target = (target_host, target_port)
    s = socks.socksocket(socket.AF_INET, socket.SOCK_DGRAM)
    s.set_proxy(socks.SOCKS5, proxy_host, proxy_port)
    s.settimeout(1.0)
    try:
        for index in range(count):
            data = payload(index)
            for attempt in range(3):
                s.sendto(data, target)
                try:
                    while True:
                        echoed, source = s.recvfrom(65535)
                        if echoed == data:
                            break
                except socket.timeout:
                    continue
                break
            else:
                print("no echo of datagram %d after 3 attempts" % index, file=sys.stderr)
                return 1
            if source[1] != target_port:
                print("echo of datagram %d came from %r, not port %d" % (index, source, target_port),
                      file=sys.stderr)
                return 1
        print("OK %d" % count)
        return 0
    finally:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
