package dev.ferryproxy.policy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Builds requests and addresses for the policy tests; starts from a SOCKS5 CONNECT by a remote client. */
final class TestRequests {
    private InetAddress client = ip("203.0.113.7");
    private String user;
    private int socksVersion = 5;
    private Command command = Command.CONNECT;
    private String name;
    private InetAddress address = ip("93.184.216.34");
    private int port = 443;

    private TestRequests() {
    }

    /** A SOCKS5 CONNECT from 203.0.113.7, without user, to 93.184.216.34:443. */
    static TestRequests request() {
        return new TestRequests();
    }

    /**
     * An IP literal as an InetAddress. Only literals are accepted, so no test can reach DNS; the JDK
     * turns IPv4-mapped text into an Inet4Address, see {@link #mappedIpv6} for the other kind.
     */
    static InetAddress ip(String literal) {
        // a dotted quad, or text with a colon: the JDK parses both itself and never asks DNS for them
        if (!literal.matches("\\d{1,3}(\\.\\d{1,3}){3}|[0-9a-fA-F.]*:[0-9a-fA-F:.]*")) {
            throw new IllegalArgumentException("not an IP literal: " + literal);
        }
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }

    /** ::ffff:a.b.c.d as an Inet6Address, the form the JDK never makes from text but a socket can report. */
    static InetAddress mappedIpv6(String ipv4) {
        byte[] v4 = ip(ipv4).getAddress();
        byte[] v6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, v4[0], v4[1], v4[2], v4[3]};
        try {
            return Inet6Address.getByAddress(null, v6, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    TestRequests client(String literal) {
        return client(ip(literal));
    }

    TestRequests client(InetAddress value) {
        this.client = value;
        return this;
    }

    TestRequests user(String value) {
        this.user = value;
        return this;
    }

    TestRequests version(int value) {
        this.socksVersion = value;
        return this;
    }

    TestRequests command(Command value) {
        this.command = value;
        return this;
    }

    /** A request by name, not yet resolved. */
    TestRequests name(String value) {
        this.name = value;
        this.address = null;
        return this;
    }

    /** The destination address: for a request by address, or the resolved address of a name. */
    TestRequests address(String literal) {
        return address(ip(literal));
    }

    TestRequests address(InetAddress value) {
        this.address = value;
        return this;
    }

    TestRequests port(int value) {
        this.port = value;
        return this;
    }

    AccessRequest build() {
        return new AccessRequest(client, user, socksVersion, command, name, address, port);
    }
}
