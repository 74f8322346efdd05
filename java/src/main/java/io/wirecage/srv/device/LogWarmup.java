package io.wirecage.srv.device;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.io.OutputStream;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warms the two log lines of a new session ({@link Handshakes#logCompleted}, {@link Events#logConnected}).
 * Until the JIT has compiled SLF4J's event builder and logback's layout, a line costs 30-200 us instead of
 * 5-10 us, and a burst of new clients pays that on the handshake workers (measured: 100 first handshakes took
 * about 50 ms more server CPU with the lines on than off). So before serving, this thread logs those lines
 * for real, through the console appender's own encoder, into a stream that discards them. Only this
 * thread's lines are diverted: other threads' lines reach the console as always meanwhile.
 */
final class LogWarmup {
    /** Like real lines: a short key ends in U+2026, so the encoder takes its UTF-16 path, as it does then. */
    private static final String PEER = "WarmUp/A\u2026";

    private LogWarmup() {}

    /** @return how many lines went to the discarding stream (0 if the console is not logback's own appender) */
    static int run(int rounds) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) {
            return 0;
        }
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        if (!(root.getAppender("STDOUT") instanceof OutputStreamAppender<ILoggingEvent> console)) {
            return 0;
        }
        Thread self = Thread.currentThread();
        OutputStreamAppender<ILoggingEvent> discard = new OutputStreamAppender<>();
        discard.setContext(ctx);
        discard.setName("warm-up");
        discard.setEncoder(console.getEncoder()); // encoders are shared by logging threads anyway
        discard.setOutputStream(OutputStream.nullOutputStream());
        discard.addFilter(decide(() -> Thread.currentThread() == self ? FilterReply.NEUTRAL : FilterReply.DENY));
        discard.start();
        List<Filter<ILoggingEvent>> consoleFilters = console.getCopyOfAttachedFiltersList();
        // filters run on the logging thread (the console is synchronous), so the current thread tells
        console.addFilter(decide(() -> Thread.currentThread() == self ? FilterReply.DENY : FilterReply.NEUTRAL));
        root.addAppender(discard);
        try {
            for (int i = 0; i < rounds; i++) {
                String endpoint = "127.0.0." + (i & 0xff) + ":" + (1024 + i);
                Handshakes.logCompleted(PEER, endpoint);
                Events.logConnected(PEER, endpoint);
            }
        } finally {
            root.detachAppender(discard);
            console.clearAllFilters();
            consoleFilters.forEach(console::addFilter);
            discard.stop();
        }
        return 2 * rounds;
    }

    private static Filter<ILoggingEvent> decide(java.util.function.Supplier<FilterReply> reply) {
        Filter<ILoggingEvent> f = new Filter<>() {
            @Override
            public FilterReply decide(ILoggingEvent event) {
                return reply.get();
            }
        };
        f.start();
        return f;
    }
}
