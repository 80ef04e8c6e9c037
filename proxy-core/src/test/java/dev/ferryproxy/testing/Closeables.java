package dev.ferryproxy.testing;

/** Closing test fixtures, some of which may never have been started. */
public final class Closeables {
    private Closeables() {
    }

    /** Closes each non-null fixture in order; the first failure is thrown after all were tried. */
    public static void closeAll(AutoCloseable... fixtures) throws Exception {
        Exception first = null;
        for (AutoCloseable fixture : fixtures) {
            if (fixture == null) {
                continue;
            }
            try {
                fixture.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
