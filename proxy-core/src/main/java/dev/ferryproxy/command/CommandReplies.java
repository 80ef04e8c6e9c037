package dev.ferryproxy.command;

import java.net.InetSocketAddress;

/** Builds the reply messages of one protocol version, so command handlers need not know which. */
public interface CommandReplies {
    /** The success reply carrying the address the server bound or connected from. */
    Object success(InetSocketAddress bound);

    /** The failure reply for an outcome other than {@link CommandOutcome#SUCCEEDED}. */
    Object failure(CommandOutcome outcome);
}
