package io.wirecage.srv.device;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LogWarmupTest {
    private static final Logger other = LoggerFactory.getLogger("io.wirecage.srv.test");

    @Test
    void warmUpLinesAreFormattedButNeverPrintedWhileOtherThreadsLinesStillAre() throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ch.qos.logback.classic.Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        var console = (OutputStreamAppender<ILoggingEvent>) root.getAppender("STDOUT");
        var filtersBefore = console.getCopyOfAttachedFiltersList();
        List<String> appendersBefore = appenderNames(root);

        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        AtomicBoolean warming = new AtomicBoolean(true);
        int lines;
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        Thread logger = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < 100_000 && warming.get(); i++) {
                other.info("another thread's line");
            }
        });
        try {
            lines = LogWarmup.run(300);
        } finally {
            warming.set(false);
            logger.join(10_000);
            other.info("a line after the warm-up");
            System.setOut(stdout);
        }
        String out = printed.toString(StandardCharsets.UTF_8);

        assertThat(lines).isEqualTo(600);
        assertThat(out).doesNotContain("WarmUp/A", "handshake completed", "peer connected");
        assertThat(out).contains("another thread's line", "a line after the warm-up");
        // the console is as it was: same filters, no extra appender left on the root logger
        assertThat(console.getCopyOfAttachedFiltersList()).isEqualTo(filtersBefore);
        assertThat(appenderNames(root)).isEqualTo(appendersBefore);
    }

    private static List<String> appenderNames(ch.qos.logback.classic.Logger logger) {
        List<String> names = new ArrayList<>();
        for (var it = logger.iteratorForAppenders(); it.hasNext(); ) {
            Appender<ILoggingEvent> a = it.next();
            names.add(a.getName());
        }
        return names;
    }
}
