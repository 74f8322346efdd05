package io.wirecage.srv.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --log-format json}: the console appender writes one JSON object per line (logstash-logback-encoder:
 * {@code @timestamp}, {@code level}, {@code logger_name}, {@code message}, and the SLF4J key-value pairs the
 * connection events carry, e.g. {@code event}, {@code peer}, {@code endpoint}), instead of the text pattern.
 */
final class JsonLogs {
    private JsonLogs() {}

    static void enable() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        var appender = ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
        if (!(appender instanceof ConsoleAppender<ILoggingEvent> console)) {
            throw new IllegalStateException("--log-format json: no STDOUT console appender in the logging configuration");
        }
        LogstashEncoder json = new LogstashEncoder();
        json.setContext(ctx);
        json.start();
        console.stop();
        console.setEncoder(json);
        console.start();
    }
}
