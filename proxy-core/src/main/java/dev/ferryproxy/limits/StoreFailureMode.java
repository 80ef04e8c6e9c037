package dev.ferryproxy.limits;

/** What the limits do while the shared store does not answer. */
public enum StoreFailureMode {
    /** Admit by the local limits alone (each server on its own). */
    OPEN,
    /** Refuse new tunnels that a fleet-wide limit applies to (0x02, SOCKS4: 91). */
    CLOSED
}
