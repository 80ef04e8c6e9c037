package dev.ferryproxy.relay;

/**
 * Paces one direction of a tunnel: told of every read, it says how long reading must pause so
 * that the direction keeps to its bandwidth. The relay then turns that side's reading off for that
 * long ({@link ReadGate}), so the sender is slowed by TCP's own flow control: nothing is dropped
 * and nothing more than one read is buffered.
 */
@FunctionalInterface
public interface ReadThrottle {
    /** No pacing. */
    ReadThrottle NONE = bytes -> 0;

    /** What {@link #afterRead} returns to stop reading for good: the tunnel is being closed (a spent quota). */
    long STOP = Long.MAX_VALUE;

    /**
     * {@code bytes} were just read (and passed on); returns nanoseconds to pause reading, 0 for
     * none, {@link #STOP} to stop reading at once (the rest of the read batch is not taken).
     */
    long afterRead(int bytes);

    /**
     * Asked when a pause ends: how much longer reading must wait (nanoseconds), 0 to read again,
     * {@link #STOP} never to read again. A pause that waits for something else than time (quota
     * from a shared store) says so here.
     */
    default long stillHeld() {
        return 0;
    }
}
