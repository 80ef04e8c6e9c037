package dev.ferryproxy.app;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs a reload on each SIGHUP, one at a time, on a thread of its own (never on an event loop).
 * SIGHUPs that arrive while a reload is waiting to run are folded into it.
 */
final class ReloadSignal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReloadSignal.class);

    private final ExecutorService reloader;

    private ReloadSignal(ExecutorService reloader) {
        this.reloader = reloader;
    }

    static ReloadSignal install(Runnable reload) {
        // one running and at most one waiting: a burst of signals costs at most one extra reload
        ExecutorService reloader = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1),
                task -> {
                    Thread thread = new Thread(task, "ferry-reload");
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.DiscardPolicy());
        try {
            SignalHandler previous = Signal.handle(new Signal("HUP"), signal -> {
                log.info("SIGHUP: reloading the configuration");
                reloader.execute(reload);
            });
            if (previous == SignalHandler.SIG_IGN) {
                log.warn("SIGHUP is ignored in this process (started with nohup?): reloading on SIGHUP is off");
            }
        } catch (IllegalArgumentException e) {
            log.warn("cannot handle SIGHUP ({}): reloading on SIGHUP is off", e.getMessage());
        }
        return new ReloadSignal(reloader);
    }

    @Override
    public void close() {
        reloader.shutdownNow();
    }
}
