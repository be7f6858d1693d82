package bridgework;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;
import org.neo4j.io.ByteUnit;

/**
 * Test-only launcher: runs a real Neo4j Community 5.26 server (via neo4j-harness) with Bolt on
 * 127.0.0.1 and authentication enabled.
 *
 * <p>Protocol: once the server accepts authenticated Bolt connections, exactly one line
 * {@code BOLT_URI=bolt://127.0.0.1:PORT} is written to stdout. Nothing else is ever written to
 * stdout (Neo4j's own console output is redirected to a log file in the temp directory). The
 * server stops cleanly and the process exits 0 when stdin reaches EOF (unless
 * {@code --no-stdin-watch}) or on SIGTERM / SIGINT. All data and logs live in a temp directory
 * that is deleted at exit; on a start-up failure the logs are copied to stderr first.
 *
 * <p>Options (arguments win over environment variables):
 *
 * <ul>
 *   <li>{@code --port N} / {@code BRIDGEWORK_NEO4J_BOLT_PORT}: Bolt port; 0 or unset picks a free one.
 *   <li>{@code BRIDGEWORK_NEO4J_PASSWORD}: password of user {@code neo4j} (default {@code bridgework-test}).
 *   <li>{@code --pagecache SIZE} / {@code BRIDGEWORK_NEO4J_PAGECACHE}: page cache, e.g. 512m (default 512m).
 *   <li>{@code --no-stdin-watch}: do not stop on stdin EOF (for background use, stop with SIGTERM).
 * </ul>
 */
public final class Neo4jLauncher {
    private static final String DEFAULT_PASSWORD = "bridgework-test";
    private static final String TEMP_PREFIX = "bridgework-neo4j-";
    private static final String PID_FILE = "launcher.pid";

    private static final Object LOCK = new Object();
    private static final CountDownLatch STOP_REQUESTED = new CountDownLatch(1);

    private static volatile Neo4j server;
    private static volatile Path tempDir;
    private static volatile PrintStream noiseLog;
    private static volatile boolean stopped;

    private Neo4jLauncher() {}

    public static void main(String[] args) {
        // Keep the real stdout for the single protocol line; everything else goes to stderr/log.
        final PrintStream protocolOut = new PrintStream(new FileOutputStream(java.io.FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        final PrintStream err = new PrintStream(new FileOutputStream(java.io.FileDescriptor.err), true,
                StandardCharsets.UTF_8);

        int port;
        String pageCache;
        boolean watchStdin = true;
        try {
            port = parseIntOrZero(env("BRIDGEWORK_NEO4J_BOLT_PORT", "0"));
            pageCache = env("BRIDGEWORK_NEO4J_PAGECACHE", "512m");
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--port" -> port = parseIntOrZero(args[++i]);
                    case "--pagecache" -> pageCache = args[++i];
                    case "--no-stdin-watch" -> watchStdin = false;
                    default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
                }
            }
        } catch (RuntimeException e) {
            err.println("neo4j-launcher: " + e.getMessage());
            err.println("usage: java -jar neo4j-launcher.jar [--port N] [--pagecache SIZE] [--no-stdin-watch]");
            System.exit(2);
            return;
        }
        String password = env("BRIDGEWORK_NEO4J_PASSWORD", DEFAULT_PASSWORD);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown(err), "neo4j-launcher-shutdown"));
        installSignalHandlers();

        try {
            cleanStaleTempDirs();
            tempDir = Files.createTempDirectory(TEMP_PREFIX);
            Files.writeString(tempDir.resolve(PID_FILE), Long.toString(ProcessHandle.current().pid()));
            Path logFile = tempDir.resolve("launcher-console.log");
            noiseLog = new PrintStream(new FileOutputStream(logFile.toFile(), true), true, StandardCharsets.UTF_8);
            System.setOut(noiseLog);
            System.setErr(noiseLog);

            long t0 = System.nanoTime();
            Neo4j started = startServer(port, pageCache, err);
            synchronized (LOCK) {
                server = started;
                if (stopped) {
                    // A stop request raced with start-up: shut down what we just started.
                    started.close();
                    server = null;
                    throw new IllegalStateException("stopped during start-up");
                }
            }
            setPassword(started, password);
            long millis = (System.nanoTime() - t0) / 1_000_000;

            int boltPort = started.boltURI().getPort();
            log(err, "Neo4j ready in " + millis + " ms, data in " + tempDir);
            protocolOut.println("BOLT_URI=bolt://127.0.0.1:" + boltPort);
            protocolOut.flush();
        } catch (Throwable t) {
            err.println("neo4j-launcher: failed to start Neo4j: " + t);
            t.printStackTrace(err);
            dumpLogs(err);
            shutdown(err);
            System.exit(1);
            return;
        }

        if (watchStdin) {
            Thread stdinWatcher = new Thread(Neo4jLauncher::waitForStdinEof, "neo4j-launcher-stdin");
            stdinWatcher.setDaemon(true);
            stdinWatcher.start();
        }

        try {
            STOP_REQUESTED.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        shutdown(err);
        System.exit(0);
    }

    private static Neo4j startServer(int requestedPort, String pageCache, PrintStream err) throws IOException {
        int attempts = requestedPort == 0 ? 3 : 1;
        RuntimeException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            int port = requestedPort == 0 ? findFreePort() : requestedPort;
            try {
                return Neo4jBuilders.newInProcessBuilder(tempDir)
                        .withDisabledServer() // no HTTP/HTTPS connector at all
                        .withConfig(GraphDatabaseSettings.auth_enabled, true)
                        // no lock-out after failed logins: tests deliberately try wrong passwords
                        .withConfig(GraphDatabaseSettings.auth_max_failed_attempts, 0)
                        .withConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(pageCache))
                        .withConfig(GraphDatabaseSettings.udc_enabled, false)
                        .withConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress("127.0.0.1"))
                        .withConfig(GraphDatabaseSettings.default_advertised_address,
                                new SocketAddress("127.0.0.1"))
                        .withConfig(BoltConnector.enabled, true)
                        .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                        .withConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
                        .withConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                        // Netty's default graceful shutdown adds ~10 s to every stop; tests don't need it.
                        .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                        .withConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout,
                                Duration.ofSeconds(5))
                        .build();
            } catch (RuntimeException e) {
                last = e;
                log(err, "start attempt " + attempt + " on port " + port + " failed: " + e);
            }
        }
        throw last;
    }

    /** Sets the password of the built-in {@code neo4j} user through the (auth-free) embedded API. */
    private static void setPassword(Neo4j started, String password) {
        GraphDatabaseService system = started.databaseManagementService().database("system");
        system.executeTransactionally(
                "ALTER USER neo4j SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));
    }

    private static void waitForStdinEof() {
        try (InputStream in = System.in) {
            byte[] buf = new byte[256];
            while (in.read(buf) >= 0) {
                // discard input; we only care about EOF
            }
        } catch (IOException ignored) {
            // treat a broken stdin like EOF
        }
        STOP_REQUESTED.countDown();
    }

    @SuppressWarnings("sunapi")
    private static void installSignalHandlers() {
        for (String name : List.of("TERM", "INT")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> STOP_REQUESTED.countDown());
            } catch (IllegalArgumentException ignored) {
                // signal not available; the shutdown hook still covers it
            }
        }
    }

    /** Idempotent: stops Neo4j and deletes the temp directory. */
    private static void shutdown(PrintStream err) {
        synchronized (LOCK) {
            if (stopped) {
                return;
            }
            stopped = true;
            Neo4j s = server;
            server = null;
            if (s != null) {
                try {
                    s.close();
                    log(err, "Neo4j stopped");
                } catch (Throwable t) {
                    err.println("neo4j-launcher: error while stopping Neo4j: " + t);
                }
            }
            PrintStream nl = noiseLog;
            if (nl != null) {
                nl.flush();
            }
            Path dir = tempDir;
            if (dir != null) {
                deleteRecursively(dir);
            }
        }
    }

    /** Copies the tail of every log file in the temp dir to stderr (used on start-up failure). */
    private static void dumpLogs(PrintStream err) {
        Path dir = tempDir;
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList()) {
                List<String> lines = Files.readAllLines(p, StandardCharsets.UTF_8);
                int from = Math.max(0, lines.size() - 150);
                err.println("---------- " + dir.relativize(p) + " (last " + (lines.size() - from) + " lines) ----------");
                lines.subList(from, lines.size()).forEach(err::println);
            }
        } catch (IOException | RuntimeException e) {
            err.println("neo4j-launcher: could not read logs: " + e);
        }
    }

    /** Removes temp dirs left behind by launchers that were SIGKILLed. */
    private static void cleanStaleTempDirs() {
        Path tmp = Paths.get(System.getProperty("java.io.tmpdir"));
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, TEMP_PREFIX + "*")) {
            for (Path dir : dirs) {
                try {
                    long pid = Long.parseLong(Files.readString(dir.resolve(PID_FILE)).trim());
                    if (ProcessHandle.of(pid).isEmpty()) {
                        deleteRecursively(dir);
                    }
                } catch (IOException | RuntimeException ignored) {
                    // not ours, still starting, or unreadable: leave it alone
                }
            }
        } catch (IOException ignored) {
            // best effort only
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static int findFreePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    private static int parseIntOrZero(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        int port = Integer.parseInt(value.trim());
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        return port;
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static void log(PrintStream err, String message) {
        PrintStream nl = noiseLog;
        if (nl != null) {
            nl.println("neo4j-launcher: " + message);
        } else {
            err.println("neo4j-launcher: " + message);
        }
    }
}
