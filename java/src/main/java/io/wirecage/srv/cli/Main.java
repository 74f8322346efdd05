package io.wirecage.srv.cli;

import picocli.CommandLine;

/** Entry point: picocli parses, every failure becomes one line on stderr and a non-zero exit. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ServeCommand());
        // `wirecagesrv generate-completion`: a bash/zsh completion script (picocli AutoComplete).
        CommandLine completion = new CommandLine(new picocli.AutoComplete.GenerateCompletion());
        completion.getCommandSpec().usageMessage().hidden(false);
        cl.addSubcommand("generate-completion", completion);
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("wirecagesrv: " + ex.getMessage()
                    + " (see 'wirecagesrv --help')");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("wirecagesrv: " + ex.getMessage());
            return 1;
        });
        return cl;
    }
}
