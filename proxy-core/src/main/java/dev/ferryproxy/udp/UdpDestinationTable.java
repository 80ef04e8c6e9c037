package dev.ferryproxy.udp;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.logging.LogText;
import dev.ferryproxy.policy.AccessRequest;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Decision;
import dev.ferryproxy.resolve.NumericHosts;
import dev.ferryproxy.resolve.NameResolver;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One association's destinations: for each destination the client names, whether its datagrams
 * may go and where, decided once and kept for the association's life.
 *
 * <p>The rules are checked as for CONNECT, on the address datagrams will actually go to. An
 * address, or a numeric spelling of one ({@code 127.1}), is decided at once. A name is decided
 * before resolving when a rule that needs no address settles it; otherwise it is resolved
 * without blocking, and the first address that the rules allow and the relay socket can reach is
 * the one used (UDP cannot tell a dead address from a silent one, so there is no falling back to
 * the next). A name keeps its address for the association's life, so it cannot re-resolve to
 * something the rules were never asked about. A name that did not resolve is asked again after
 * {@link #UNRESOLVED_RETRY_NANOS}, as the failure may have been passing.
 *
 * <p>It also remembers which addresses the client has sent to: only those may answer, unless
 * the settings let anyone. At most {@code maxDestinations} destinations are kept, allowed or not,
 * since each costs memory and may cost a DNS query; further ones are refused. Used on the
 * association's event loop only.
 */
final class UdpDestinationTable {
    private static final Logger log = LoggerFactory.getLogger(UdpDestinationTable.class);

    /** How long a name that did not resolve is dropped before it is asked again. */
    static final long UNRESOLVED_RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** Where a destination stands. */
    enum State {
        /** A name being resolved: datagrams wait. */
        RESOLVING,
        /** Datagrams go to {@link Destination#target()}. */
        ALLOWED,
        DENIED,
        UNRESOLVED,
        UNREACHABLE
    }

    /** Called when a name's resolution and check have ended, so that waiting datagrams can move. */
    interface SettledListener {
        void settled(Destination destination);
    }

    /** One destination as the client named it, and what was decided for it. */
    static final class Destination {
        private final SocksAddress requested;
        private State state;
        private UdpTarget target;
        private long unresolvedSinceNanos;
        private boolean sentTo;

        private Destination(SocksAddress requested) {
            this.requested = requested;
        }

        SocksAddress requested() {
            return requested;
        }

        State state() {
            return state;
        }

        /** Where datagrams go; only for {@link State#ALLOWED}. */
        UdpTarget target() {
            return target;
        }

        /** Why datagrams to a destination that is neither allowed nor resolving are dropped. */
        UdpDrop dropReason() {
            switch (state) {
                case DENIED:
                    return UdpDrop.DENIED;
                case UNRESOLVED:
                    return UdpDrop.UNRESOLVED;
                case UNREACHABLE:
                    return UdpDrop.UNREACHABLE;
                default:
                    throw new IllegalStateException(requested + " is " + state + ", which drops nothing");
            }
        }
    }

    private final AccessRequest template;
    private final AccessRules rules;
    private final NameResolver resolver;
    private final EventLoop loop;
    private final int maxDestinations;
    private final boolean ipv6Reachable;
    private final String client;
    private final Map<SocksAddress, Destination> destinations = new HashMap<>();
    private final Set<InetSocketAddress> sentTo = new HashSet<>();
    private SettledListener listener = destination -> { };
    private boolean closed;

    /**
     * @param template the association's request, whose client, user, version and command every
     *     destination's request takes
     * @param rules the rules in force when the association was made
     * @param resolver resolves names on {@code loop}
     * @param loop the association's event loop
     * @param maxDestinations how many destinations may be kept
     * @param ipv6Reachable whether the relay socket can send to IPv6 addresses
     * @param client the client, for logs
     */
    UdpDestinationTable(AccessRequest template, AccessRules rules, NameResolver resolver, EventLoop loop,
            int maxDestinations, boolean ipv6Reachable, String client) {
        this.template = template;
        this.rules = rules;
        this.resolver = resolver;
        this.loop = loop;
        this.maxDestinations = maxDestinations;
        this.ipv6Reachable = ipv6Reachable;
        this.client = client;
    }

    void setListener(SettledListener listener) {
        this.listener = listener;
    }

    /**
     * The destination for {@code requested}: known, or new and decided (or being resolved) now.
     *
     * @return {@code null} when it is new and the table is full
     */
    Destination lookup(SocksAddress requested, long nowNanos) {
        Destination destination = destinations.get(requested);
        if (destination != null) {
            if (destination.state == State.UNRESOLVED
                    && nowNanos - destination.unresolvedSinceNanos >= UNRESOLVED_RETRY_NANOS) {
                decide(destination);
            }
            return destination;
        }
        if (destinations.size() >= maxDestinations) {
            return null;
        }
        destination = new Destination(requested);
        destinations.put(requested, destination);
        decide(destination);
        return destination;
    }

    /** Notes that the client sent to {@code destination}, whose address may answer from now on. */
    void markSentTo(Destination destination) {
        if (!destination.sentTo) {
            destination.sentTo = true;
            sentTo.add(destination.target.address());
        }
    }

    /** Whether the client has sent to {@code sender} (normalised), so that it may answer. */
    boolean hasSentTo(InetSocketAddress sender) {
        return sentTo.contains(sender);
    }

    /** How many destinations are kept. */
    int size() {
        return destinations.size();
    }

    /** Stops: resolutions still under way will be ignored. */
    void close() {
        closed = true;
        listener = destination -> { };
    }

    private void decide(Destination destination) {
        SocksAddress requested = destination.requested;
        if (requested.port() == 0) {
            unreachable(destination, "port 0");
            return;
        }
        Optional<InetAddress> literal = requested.isDomain()
                ? NumericHosts.parse(requested.host()) : Optional.of(requested.inetAddress());
        if (literal.isPresent()) {
            Decision decision = rules.evaluate(request(null, literal.get(), requested.port()));
            if (!decision.allowed()) {
                deny(destination, decision);
            } else if (viaOf(decision) != null) {
                allowVia(destination, new InetSocketAddress(literal.get(), requested.port()), viaOf(decision));
            } else if (!reachable(literal.get())) {
                unreachable(destination, "the relay socket cannot send to IPv6");
            } else {
                allow(destination, literal.get());
            }
            return;
        }
        AccessRequest byName = request(requested.host(), null, requested.port());
        Optional<Decision> early = rules.evaluateBeforeResolution(byName);
        if (early.isPresent() && !early.get().allowed()) {
            deny(destination, early.get());
            return;
        }
        if (early.isPresent() && viaOf(early.get()) != null) {
            // The upstream gets the name: no rule needs the address.
            allowVia(destination, InetSocketAddress.createUnresolved(requested.host(), requested.port()),
                    viaOf(early.get()));
            return;
        }
        destination.state = State.RESOLVING;
        Future<List<InetAddress>> resolving = resolver.resolveAll(requested.host(), loop);
        resolving.addListener(done -> onResolved(destination, byName, early, resolving));
    }

    private void onResolved(Destination destination, AccessRequest byName, Optional<Decision> early,
            Future<List<InetAddress>> resolving) {
        if (closed) {
            return;
        }
        if (!resolving.isSuccess()) {
            destination.state = State.UNRESOLVED;
            destination.unresolvedSinceNanos = System.nanoTime();
            log.debug("UDP {} for {}: the name did not resolve: {}", destination.requested, client,
                    LogText.escape(resolving.cause().toString()));
        } else {
            settle(destination, byName, early, resolving.getNow());
        }
        listener.settled(destination);
    }

    private void settle(Destination destination, AccessRequest byName, Optional<Decision> early,
            List<InetAddress> addresses) {
        Decision firstDenial = null;
        for (InetAddress address : addresses) {
            Decision decision = early.isPresent() ? early.get()
                    : rules.evaluate(byName.withDestinationAddress(address));
            if (decision.allowed() && viaOf(decision) != null) {
                // The checked address goes to the upstream, which can reach either family.
                allowVia(destination, new InetSocketAddress(address, destination.requested.port()), viaOf(decision));
                return;
            }
            if (!reachable(address)) {
                continue;
            }
            if (decision.allowed()) {
                allow(destination, address);
                return;
            }
            if (firstDenial == null) {
                firstDenial = decision;
            }
        }
        if (firstDenial != null) {
            deny(destination, firstDenial);
        } else {
            unreachable(destination, "no address the relay socket can send to among " + addresses);
        }
    }

    private boolean reachable(InetAddress address) {
        return ipv6Reachable || UdpAddresses.normalize(address) instanceof Inet4Address;
    }

    private AccessRequest request(String name, InetAddress address, int port) {
        return new AccessRequest(template.client(), template.user(), template.socksVersion(), template.command(),
                name, address, port);
    }

    private void allow(Destination destination, InetAddress address) {
        destination.target = new UdpTarget(destination.requested,
                new InetSocketAddress(UdpAddresses.normalize(address), destination.requested.port()));
        destination.state = State.ALLOWED;
        log.debug("UDP {} for {}: datagrams go to {}", destination.requested, client, destination.target.address());
    }

    /** The upstream the deciding rule routes through, or {@code null} to send directly. */
    private static String viaOf(Decision decision) {
        return decision.rule() == null ? null : decision.rule().via();
    }

    private void allowVia(Destination destination, InetSocketAddress address, String via) {
        destination.target = new UdpTarget(destination.requested, address, via);
        destination.state = State.ALLOWED;
        log.debug("UDP {} for {}: datagrams go to {} through upstream {}", destination.requested, client, address, via);
    }

    private void deny(Destination destination, Decision decision) {
        destination.state = State.DENIED;
        log.info("UDP {} for {} denied by {}", destination.requested, client, decision.reason());
    }

    private void unreachable(Destination destination, String why) {
        destination.state = State.UNREACHABLE;
        log.debug("UDP {} for {}: unreachable: {}", destination.requested, client, why);
    }
}
