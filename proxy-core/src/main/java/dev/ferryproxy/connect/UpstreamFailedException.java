package dev.ferryproxy.connect;

import dev.ferryproxy.client.SocksReplyException;

import java.io.IOException;
import java.net.UnknownHostException;

/**
 * A parent proxy could not be used: it could not be reached, it refused the login, or it broke
 * the protocol. The client is then told 0x01 (general failure): the target was never tried.
 * A parent's own refusal of the request is not this: its reply code is passed on.
 */
public final class UpstreamFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    public UpstreamFailedException(Upstream upstream, String what, Throwable cause) {
        super("upstream " + upstream + ": " + what + ": " + cause.getMessage(), cause);
    }

    /**
     * {@code cause} itself when it is a parent's refusal (whose code the client gets) or a name the
     * last hop was to reach that did not resolve here; otherwise an UpstreamFailedException.
     */
    static Throwable unlessRefusal(Upstream upstream, Throwable cause) {
        if (cause instanceof SocksReplyException || cause instanceof UnknownHostException) {
            return cause;
        }
        return new UpstreamFailedException(upstream, "handshake failed", cause);
    }
}
