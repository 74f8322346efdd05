package io.wirecage.srv.it.containers;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;

/**
 * When a container test or its set-up fails, prints what the open labs know: the server's log, the
 * target's request log and the last commands (with their output) run in each container, so the CI
 * log alone tells what happened.
 */
public final class DumpLabOnFailure implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        dump(context, throwable);
        throw throwable;
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        dump(context, throwable);
        throw throwable;
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        dump(context, throwable);
        throw throwable;
    }

    private static void dump(ExtensionContext context, Throwable throwable) {
        for (Lab lab : Lab.OPEN) {
            lab.dump(context.getDisplayName() + " failed: " + throwable);
        }
    }
}
