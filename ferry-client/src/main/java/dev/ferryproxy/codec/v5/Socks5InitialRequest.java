package dev.ferryproxy.codec.v5;

import java.util.List;

/** The SOCKS5 greeting: the methods the client offers, 1..255 of them, in the client's order. */
public record Socks5InitialRequest(List<Socks5AuthMethod> methods) {
    public Socks5InitialRequest {
        methods = List.copyOf(methods);
        if (methods.isEmpty() || methods.size() > 255) {
            throw new IllegalArgumentException("methods: " + methods.size() + " (expected: 1-255)");
        }
    }

    /** Whether the client offers {@code method}, wherever it stands in the list. */
    public boolean offers(Socks5AuthMethod method) {
        return methods.contains(method);
    }
}
