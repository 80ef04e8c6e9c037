package dev.ferryproxy.policy;

import java.util.Objects;

/** The SOCKS command a request asks for. */
public enum Command {
    /** Open a TCP connection to the destination (SOCKS4 and SOCKS5). */
    CONNECT("connect"),
    /** Accept one incoming TCP connection from the destination (SOCKS4 and SOCKS5). */
    BIND("bind"),
    /** Relay UDP datagrams (SOCKS5 only). */
    UDP_ASSOCIATE("udp");

    private final String configName;

    Command(String configName) {
        this.configName = configName;
    }

    /** The command for its config spelling: connect, bind, udp (any case). */
    public static Command parse(String s) {
        Objects.requireNonNull(s, "s");
        for (Command command : values()) {
            if (command.configName.equalsIgnoreCase(s)) {
                return command;
            }
        }
        throw new IllegalArgumentException("'" + s + "' is not a command (expected one of: connect, bind, udp)");
    }

    /** The config spelling: {@code connect}, {@code bind} or {@code udp}. */
    public String configName() {
        return configName;
    }
}
