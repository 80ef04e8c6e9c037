package dev.ferryproxy.command;

import dev.ferryproxy.codec.SocksAddress;
import dev.ferryproxy.codec.SocksVersion;
import dev.ferryproxy.logging.LogText;
import dev.ferryproxy.policy.AccessRequest;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.resolve.NumericHosts;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * One client's command as the rules see it: who asked (address, user, version), for what
 * (command, destination), and the rules in force when the handshake began.
 *
 * @param client the client's address
 * @param user the logged-in user or SOCKS4 USERID, {@code null} when none
 * @param version the SOCKS version spoken
 * @param command the command asked for
 * @param destination the destination as the client named it
 * @param rules the rules that decide
 */
public record CommandContext(InetAddress client, String user, SocksVersion version, Command command,
        SocksAddress destination, AccessRules rules) {
    public CommandContext {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(rules, "rules");
    }

    /**
     * The address the destination spells without DNS: an IP address, or a name that is only a
     * numeric spelling of one ({@code 127.1}, {@code 0x7f.0.0.1}). Such a name is treated as the
     * address it spells, so that it is checked as an address and never sent to a resolver.
     */
    public Optional<InetAddress> literalAddress() {
        return destination.isDomain() ? NumericHosts.parse(destination.host()) : Optional.of(destination.inetAddress());
    }

    /** The request for the rules: by name when the client named a real name, else by address. */
    public AccessRequest accessRequest() {
        Optional<InetAddress> literal = literalAddress();
        int socksVersion = version == SocksVersion.SOCKS4 ? 4 : 5;
        return new AccessRequest(client, user, socksVersion, command,
                literal.isPresent() ? null : destination.host(), literal.orElse(null), destination.port());
    }

    /**
     * For logs: what was asked, by whom. The client chose the user and the name: both are escaped
     * ({@link LogText}, {@link SocksAddress#printableHost()}), so no request can forge a log line.
     */
    public String describe() {
        return command.configName() + " " + destination + " for " + client.getHostAddress()
                + (user != null ? " (user '" + LogText.escape(user) + "')" : "");
    }
}
