package io.wirecage.srv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** --log-format json: a connection event becomes one JSON object with its key-value pairs as fields. */
class JsonLogsTest {
    @Test
    void anEventIsOneJsonLineWithItsFields() throws Exception {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        @SuppressWarnings("unchecked")
        ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>) ctx.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
        Encoder<ILoggingEvent> text = console.getEncoder();
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            JsonLogs.enable();
            LoggerFactory.getLogger("io.wirecage.srv.events").atInfo().addKeyValue("event", "peer_connected")
                    .addKeyValue("peer", "alice").addKeyValue("endpoint", "192.0.2.1:4000")
                    .log("peer connected: {} from {}", "alice", "192.0.2.1:4000");
        } finally {
            System.setOut(old);
            console.stop();
            console.setEncoder(text);
            console.start();
        }
        String out = buf.toString(StandardCharsets.UTF_8).strip();
        assertThat(out.lines()).hasSize(1);
        JsonNode n = new ObjectMapper().readTree(out);
        assertThat(n.get("message").asText()).isEqualTo("peer connected: alice from 192.0.2.1:4000");
        assertThat(n.get("level").asText()).isEqualTo("INFO");
        assertThat(n.get("logger_name").asText()).isEqualTo("io.wirecage.srv.events");
        assertThat(n.get("event").asText()).isEqualTo("peer_connected");
        assertThat(n.get("peer").asText()).isEqualTo("alice");
        assertThat(n.get("endpoint").asText()).isEqualTo("192.0.2.1:4000");
    }
}
