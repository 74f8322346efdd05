package io.wirecage.srv.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * When a test or its set-up fails, prints the tail of every log (server, HTTP target, tcpdump) of
 * the open topologies, so a CI log alone tells what the server said. The logs stay in
 * target/it-work/ as well.
 */
public final class DumpLogsOnFailure implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        dump(context);
        throw throwable;
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        dump(context);
        throw throwable;
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        dump(context);
        throw throwable;
    }

    private static void dump(ExtensionContext context) {
        for (Topology t : Topology.open()) {
            List<Path> logs;
            try (Stream<Path> s = Files.list(t.workDir())) {
                logs = s.filter(p -> p.toString().endsWith(".log")).sorted().toList();
            } catch (IOException e) {
                continue;
            }
            for (Path log : logs) {
                try {
                    System.out.println("[it] ==== " + context.getDisplayName() + " failed; last lines of " + log + " ====");
                    System.out.print(Background.tail(Files.readString(log), 40));
                } catch (IOException e) {
                    System.out.println("[it] cannot read " + log + ": " + e);
                }
            }
        }
    }
}
