package dev.ferryproxy.app;

import static dev.ferryproxy.app.ConfigurationIT.LISTENING;
import static dev.ferryproxy.app.ConfigurationIT.LOOPBACK_DNS;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The container packaging in {@code docker/}, checked without a Docker engine: the Dockerfile's
 * contract (non-root, ports, health check, options the jar knows), the container configurations
 * through the real jar's {@code --check-config}, the compose stack (HAProxy with PROXY protocol v2
 * and its health check, Prometheus, Grafana), the Kubernetes manifests, and the dashboard's PromQL
 * against docs/metrics.md and a real scrape of the running jar.
 */
class ContainerPackagingIT {
    private static final String ADMIN = "admin listening on (127\\.0\\.0\\.1:\\d+)";
    private static final Pattern METRIC = Pattern.compile("\\b((?:ferry|jvm|process|netty|system)_[a-zA-Z0-9_]+)");
    /** Options of {@code ferry --help}, e.g. {@code --listen=HOST:PORT}. */
    private static final Pattern HELP_OPTION = Pattern.compile("(--[a-z][a-z-]*)");

    private static Path root;
    private static Path docker;
    private static Set<String> helpOptions;
    private static String help;

    @TempDir
    Path dir;

    @BeforeAll
    static void findRepository() throws Exception {
        Path here = Path.of("").toAbsolutePath();
        root = Files.isRegularFile(here.resolve("docker/Dockerfile")) ? here : here.getParent();
        docker = root.resolve("docker");
        assertThat(docker.resolve("Dockerfile")).isRegularFile();
        try (FerryProcess ferry = FerryProcess.startJar("--help")) {
            assertThat(ferry.awaitExit()).isZero();
            help = ferry.stdout();
        }
        helpOptions = new TreeSet<>();
        Matcher option = HELP_OPTION.matcher(help);
        while (option.find()) {
            helpOptions.add(option.group(1));
        }
        assertThat(helpOptions).contains("--listen", "--admin", "--config", "--check-config");
    }

    // ---------------------------------------------------------------- Dockerfile

    /** One instruction of the Dockerfile: its keyword and the rest of the (joined) line. */
    record Instruction(String keyword, String arguments) {
    }

    static List<List<Instruction>> dockerfileStages() throws IOException {
        String text = Files.readString(docker.resolve("Dockerfile"), StandardCharsets.UTF_8);
        List<List<Instruction>> stages = new ArrayList<>();
        StringBuilder logical = new StringBuilder();
        for (String line : text.split("\n")) {
            String trimmed = line.strip();
            if (logical.length() == 0 && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                logical.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            logical.append(trimmed);
            String full = logical.toString().strip();
            logical.setLength(0);
            int space = full.indexOf(' ');
            Instruction instruction = new Instruction(full.substring(0, space).toUpperCase(),
                    full.substring(space + 1).strip());
            if (instruction.keyword().equals("FROM")) {
                stages.add(new ArrayList<>());
            }
            if (stages.isEmpty() && instruction.keyword().equals("ARG")) {
                continue; // a global ARG (the base images): globalArguments() reads them
            }
            assertThat(stages).as("an instruction before FROM: %s", full).isNotEmpty();
            stages.get(stages.size() - 1).add(instruction);
        }
        return stages;
    }

    /** The ARGs before the first FROM, NAME=DEFAULT. */
    static List<String> globalArguments() throws IOException {
        List<String> arguments = new ArrayList<>();
        for (String line : Files.readAllLines(docker.resolve("Dockerfile"), StandardCharsets.UTF_8)) {
            if (line.startsWith("FROM ")) {
                break;
            }
            if (line.startsWith("ARG ")) {
                arguments.add(line.substring(4).strip());
            }
        }
        return arguments;
    }

    private static List<String> arguments(List<Instruction> stage, String keyword) {
        return stage.stream().filter(i -> i.keyword().equals(keyword)).map(Instruction::arguments).toList();
    }

    private static String only(List<Instruction> stage, String keyword) {
        List<String> found = arguments(stage, keyword);
        assertThat(found).as(keyword).hasSize(1);
        return found.get(0);
    }

    /** An exec-form (JSON array) argument list, parsed as YAML flow sequence (JSON is YAML). */
    @SuppressWarnings("unchecked")
    private static List<String> execForm(String arguments) {
        assertThat(arguments).as("exec form (JSON array)").startsWith("[");
        return (List<String>) new Load(LoadSettings.builder().build()).loadFromString(arguments);
    }

    /** The image's command (CMD) with the config path pointing at {@code config}. */
    private static List<String> imageCommand(Path config) throws IOException {
        List<Instruction> runtime = dockerfileStages().get(dockerfileStages().size() - 1);
        return execForm(only(runtime, "CMD")).stream()
                .map(argument -> argument.equals("/etc/ferry/ferry.yaml") ? config.toString() : argument)
                .collect(Collectors.toCollection(ArrayList::new));
    }

    /** The runtime stage's ENTRYPOINT as a command for this machine: this JVM, the built jar. */
    private static List<String> entrypoint() throws IOException {
        List<Instruction> runtime = dockerfileStages().get(dockerfileStages().size() - 1);
        return localCommand(execForm(only(runtime, "ENTRYPOINT")));
    }

    private static List<String> localCommand(List<String> command) {
        List<String> local = new ArrayList<>();
        for (String argument : command) {
            if (argument.equals("java")) {
                local.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            } else if (argument.equals("/opt/ferry/ferry.jar")) {
                local.add(FerryProcess.jar().toString());
            } else {
                local.add(argument);
            }
        }
        return local;
    }

    @Test
    void dockerfileBuildsTheJarAndRunsItAsANonRootUserWithAHealthCheck() throws Exception {
        List<List<Instruction>> stages = dockerfileStages();
        assertThat(stages).hasSize(2);
        List<Instruction> build = stages.get(0);
        List<Instruction> runtime = stages.get(1);

        // the base images are build arguments (the tests build from Debian's packages), with
        // Docker Hub's images as defaults; the runtime needs no JRE: the build stage jlinks one
        assertThat(globalArguments()).containsExactly("BUILD_IMAGE=maven:3-eclipse-temurin-17",
                "RUNTIME_IMAGE=debian:bookworm-slim");
        assertThat(only(build, "FROM")).isEqualTo("${BUILD_IMAGE} AS build");
        assertThat(arguments(build, "RUN")).contains("--mount=type=cache,target=/root/.m2 mvn -B -DskipTests package -pl proxy-app -am");
        assertThat(arguments(build, "RUN")).anyMatch(run -> run.contains("jlink ") && run.contains("--output /jre"));
        // every source the build copies is in the build context, and not excluded by .dockerignore
        String dockerignore = Files.readString(root.resolve(".dockerignore"), StandardCharsets.UTF_8);
        assertThat(dockerignore).contains("**/target/", "**/node_modules/", ".git");
        for (String copy : arguments(build, "COPY")) {
            String[] parts = copy.split("\\s+");
            for (int i = 0; i < parts.length - 1; i++) {
                assertThat(root.resolve(parts[i])).as("COPY source %s", parts[i]).exists();
            }
        }
        for (String module : List.of("ferry-client", "proxy-core", "proxy-app", "benchmarks")) {
            assertThat(arguments(build, "COPY")).as("the reactor needs every module's POM")
                    .anyMatch(copy -> copy.startsWith(module + "/pom.xml"));
        }

        assertThat(only(runtime, "FROM")).isEqualTo("${RUNTIME_IMAGE}");
        assertThat(arguments(runtime, "COPY"))
                .contains("--from=build /jre /opt/java",
                        "--from=build /src/proxy-app/target/ferry.jar /opt/ferry/ferry.jar",
                        "docker/ferry.container.yaml /etc/ferry/ferry.yaml",
                        "docker/healthcheck /opt/ferry/healthcheck");
        assertThat(arguments(runtime, "ENV")).anyMatch(env -> env.contains("PATH=/opt/java/bin:"));
        assertThat(docker.resolve("healthcheck")).isExecutable();
        String user = only(runtime, "USER");
        assertThat(user.split(":")[0]).isNotIn("root", "0").matches("\\d+");
        assertThat(Set.of(only(runtime, "EXPOSE").split("\\s+"))).contains("1080", "9090");

        String healthcheck = only(runtime, "HEALTHCHECK");
        List<String> check = execForm(healthcheck.substring(healthcheck.indexOf("CMD ") + 4));
        assertThat(check).as("no second JVM per check").containsExactly("/opt/ferry/healthcheck");
        assertThat(arguments(runtime, "ENV")).contains("FERRY_HEALTH_PORT=9090");

        List<String> entrypoint = execForm(only(runtime, "ENTRYPOINT"));
        assertThat(entrypoint).startsWith("java").endsWith("-jar", "/opt/ferry/ferry.jar")
                .contains("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError");

        List<String> command = execForm(only(runtime, "CMD"));
        assertThat(command).containsExactly("--listen", "0.0.0.0:1080", "--admin", "0.0.0.0:9090",
                "--config", "/etc/ferry/ferry.yaml");
        assertThat(command.stream().filter(argument -> argument.startsWith("--"))).allMatch(helpOptions::contains);
        assertThat(help).containsPattern("(?m)^\\s+health\\s");

        // the JVM flags of ENTRYPOINT are ones this JVM accepts
        List<String> version = new ArrayList<>(entrypoint());
        version.add("--version");
        assertThat(run(version)).isZero();
    }

    private static int run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("%s finished", command).isTrue();
        return process.exitValue();
    }

    // ---------------------------------------------------------------- the image's configuration

    /** Runs the image's ENTRYPOINT and CMD, with {@code config}, plus {@code extra}; returns exit code, stdout+stderr. */
    private static Result checkImageCommand(Path config, String... extra) throws Exception {
        List<String> command = new ArrayList<>(entrypoint());
        command.addAll(imageCommand(config));
        command.addAll(List.of(extra));
        return runFerry(command);
    }

    record Result(int exitCode, String stdout, String stderr) {
    }

    private static Result runFerry(List<String> command) throws Exception {
        Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        process.getOutputStream().close();
        java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return process.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8).strip(),
                new String(err.get(), StandardCharsets.UTF_8).strip());
    }

    @Test
    void imageConfigurationRequiresPasswordsAndPassesCheckConfig() throws Exception {
        Path config = Files.copy(docker.resolve("ferry.container.yaml"), dir.resolve("ferry.yaml"));

        Result withoutUsers = checkImageCommand(config, "--check-config");
        assertThat(withoutUsers.exitCode()).as("no users file mounted: refuses to start").isEqualTo(2);
        assertThat(withoutUsers.stderr()).contains("users");

        Files.copy(root.resolve("users.example"), dir.resolve("users"));
        Result ok = checkImageCommand(config, "--check-config");
        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        assertThat(ok.stdout()).startsWith(config + ": OK\negress guard: ");

        // what makes it safe is the file: the same listener without it is an open proxy, refused
        List<String> noConfig = new ArrayList<>(entrypoint());
        noConfig.addAll(List.of("--listen", "0.0.0.0:1080", "--admin", "0.0.0.0:9090", "--check-config"));
        Result open = runFerry(noConfig);
        assertThat(open.exitCode()).isEqualTo(2);
        assertThat(open.stderr()).containsIgnoringCase("open proxy");
    }

    // ---------------------------------------------------------------- YAML helpers

    private static Object yaml(Path file) throws IOException {
        return new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file, StandardCharsets.UTF_8));
    }

    private static List<Object> yamlDocuments(Path file) throws IOException {
        List<Object> documents = new ArrayList<>();
        for (Object document : new Load(LoadSettings.builder().build())
                .loadAllFromString(Files.readString(file, StandardCharsets.UTF_8))) {
            if (document != null) {
                documents.add(document);
            }
        }
        return documents;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node, String... path) {
        Object current = node;
        for (String key : path) {
            assertThat(current).as("map at %s", key).isInstanceOf(Map.class);
            current = ((Map<String, Object>) current).get(key);
        }
        assertThat(current).as("map at %s", List.of(path)).isInstanceOf(Map.class);
        return (Map<String, Object>) current;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node, String... path) {
        Object current = node;
        for (String key : path) {
            assertThat(current).as("map at %s", key).isInstanceOf(Map.class);
            current = ((Map<String, Object>) current).get(key);
        }
        assertThat(current).as("list at %s", List.of(path)).isInstanceOf(List.class);
        return (List<Object>) current;
    }

    static Object at(Object node, String... path) {
        Map<String, Object> parent = map(node, java.util.Arrays.copyOf(path, path.length - 1));
        return parent.get(path[path.length - 1]);
    }

    // ---------------------------------------------------------------- Kubernetes

    @Test
    void kubernetesManifestsAreCompleteAndConsistent() throws Exception {
        Map<String, Map<String, Object>> byKind = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> listing = Files.list(docker.resolve("kubernetes"))) {
            files = listing.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
        assertThat(files).isNotEmpty();
        Map<String, Map<String, Object>> redisByKind = new LinkedHashMap<>();
        for (Path file : files) {
            for (Object document : yamlDocuments(file)) {
                Map<String, Object> manifest = map(document);
                if ("ferry-redis".equals(at(manifest, "metadata", "name"))) {
                    // the limits' shared store (redis.yaml), checked below
                    assertThat(redisByKind.put((String) manifest.get("kind"), manifest)).isNull();
                    continue;
                }
                assertThat(manifest.get("apiVersion")).as("%s apiVersion", file).isInstanceOf(String.class);
                assertThat(manifest.get("kind")).as("%s kind", file).isInstanceOf(String.class);
                assertThat(at(manifest, "metadata", "name")).as("%s metadata.name", file).isInstanceOf(String.class);
                assertThat(byKind.put((String) manifest.get("kind"), manifest)).as("one %s", manifest.get("kind")).isNull();
            }
        }
        assertThat(byKind).containsOnlyKeys("Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget");

        Map<String, Object> deployment = byKind.get("Deployment");
        Map<String, Object> pod = map(deployment, "spec", "template", "spec");
        Map<String, Object> labels = map(deployment, "spec", "template", "metadata", "labels");
        assertThat(map(deployment, "spec", "selector", "matchLabels")).isEqualTo(labels);
        assertThat(((Number) pod.get("terminationGracePeriodSeconds")).intValue())
                .as("longer than Ferry's 30 s drain").isGreaterThan(30);
        assertThat(at(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
        String imageUser = only(dockerfileStages().get(1), "USER").split(":")[0];
        assertThat(at(pod, "securityContext", "runAsUser")).isEqualTo(Integer.valueOf(imageUser));

        List<Object> containers = list(pod, "containers");
        assertThat(containers).hasSize(1);
        Map<String, Object> container = map(containers.get(0));
        assertThat(at(container, "securityContext", "readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(at(container, "securityContext", "allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(map(container, "resources", "requests")).containsKeys("cpu", "memory");
        assertThat(map(container, "resources", "limits")).containsKey("memory");
        assertThat(container).doesNotContainKeys("args", "command"); // the image's CMD: --admin 0.0.0.0:9090

        Map<String, Integer> ports = new LinkedHashMap<>();
        for (Object port : list(container, "ports")) {
            ports.put((String) map(port).get("name"), (Integer) map(port).get("containerPort"));
        }
        assertThat(ports).containsEntry("socks", 1080).containsEntry("admin", 9090);
        assertThat(at(container, "readinessProbe", "httpGet", "path")).isEqualTo("/health/ready");
        assertThat(at(container, "livenessProbe", "httpGet", "path")).isEqualTo("/health/live");
        for (String probe : List.of("readinessProbe", "livenessProbe")) {
            Object port = at(container, probe, "httpGet", "port");
            assertThat(port instanceof String ? ports.get(port) : port).as("%s port", probe).isEqualTo(9090);
        }

        // /etc/ferry holds ferry.yaml (ConfigMap) and users (Secret), writable /tmp for Netty's native library
        Map<String, String> mounts = new LinkedHashMap<>();
        for (Object mount : list(container, "volumeMounts")) {
            mounts.put((String) map(mount).get("name"), (String) map(mount).get("mountPath"));
        }
        assertThat(mounts).containsValues("/etc/ferry", "/tmp");
        Map<String, Object> volumes = new LinkedHashMap<>();
        for (Object volume : list(pod, "volumes")) {
            volumes.put((String) map(volume).get("name"), volume);
        }
        String configVolume = mounts.entrySet().stream().filter(e -> e.getValue().equals("/etc/ferry"))
                .findFirst().orElseThrow().getKey();
        Set<String> projected = new LinkedHashSet<>();
        for (Object source : list(volumes.get(configVolume), "projected", "sources")) {
            for (String kind : List.of("configMap", "secret")) {
                if (map(source).containsKey(kind)) {
                    projected.add(kind + "/" + at(source, kind, "name"));
                    assertThat(list(source, kind, "items")).allMatch(item -> map(item).get("key").equals(map(item).get("path")));
                }
            }
        }
        assertThat(projected).containsExactlyInAnyOrder(
                "configMap/" + at(byKind.get("ConfigMap"), "metadata", "name"),
                "secret/" + at(byKind.get("Secret"), "metadata", "name"));
        String tmpVolume = mounts.entrySet().stream().filter(e -> e.getValue().equals("/tmp"))
                .findFirst().orElseThrow().getKey();
        assertThat(map(volumes.get(tmpVolume))).containsKey("emptyDir");

        Map<String, Object> service = byKind.get("Service");
        assertThat(map(service, "spec", "selector")).isEqualTo(labels);
        for (Object port : list(service, "spec", "ports")) {
            assertThat(ports).containsKey((String) map(port).get("targetPort"));
        }
        assertThat(map(byKind.get("PodDisruptionBudget"), "spec", "selector", "matchLabels")).isEqualTo(labels);

        // the ConfigMap's ferry.yaml, with the Secret's users beside it, passes --check-config with the image's command
        Path config = Files.writeString(dir.resolve("ferry.yaml"),
                (String) at(byKind.get("ConfigMap"), "data", "ferry.yaml"), StandardCharsets.UTF_8);
        String users = (String) at(byKind.get("Secret"), "stringData", "users");
        assertThat(users).matches("(?s)([^:\\s]+:\\$2[aby]\\$\\d\\d\\$\\S{53}\n)+");
        Files.writeString(dir.resolve("users"), users, StandardCharsets.UTF_8);
        Result check = checkImageCommand(config, "--check-config");
        assertThat(check.exitCode()).as(check.stderr()).isZero();

        // redis.yaml: a Deployment and the Service the ConfigMap's cluster section names
        assertThat(redisByKind).containsOnlyKeys("Deployment", "Service");
        Map<String, Object> redisLabels = map(redisByKind.get("Deployment"), "spec", "template", "metadata", "labels");
        assertThat(map(redisByKind.get("Service"), "spec", "selector")).isEqualTo(redisLabels);
        assertThat(list(redisByKind.get("Service"), "spec", "ports")).anyMatch(port -> Integer.valueOf(6379).equals(map(port).get("port")));
        assertThat((String) at(byKind.get("ConfigMap"), "data", "ferry.yaml"))
                .contains("redis: redis://" + at(redisByKind.get("Service"), "metadata", "name") + ":6379");
        assertThat(check.stdout()).contains("limits shared: through redis redis://ferry-redis:6379");
    }

    // ---------------------------------------------------------------- compose

    @Test
    void composeStackIsConsistent() throws Exception {
        Path compose = docker.resolve("compose");
        Object stack = yaml(compose.resolve("compose.yaml"));
        Map<String, Object> services = map(stack, "services");
        assertThat(services).containsOnlyKeys("ferry1", "ferry2", "redis", "haproxy", "prometheus", "grafana");
        // the replicas share their limits through the redis service, at the address ferry.yaml names
        String redisAddress = (String) at(map(services, "redis"), "networks", "ferry", "ipv4_address");
        assertThat(Files.readString(compose.resolve("ferry.yaml"), StandardCharsets.UTF_8))
                .contains("redis: redis://" + redisAddress + ":6379");
        List<String> ferries = List.of("ferry1", "ferry2");

        Path ferryConfig = null;
        for (String name : ferries) {
            Map<String, Object> ferry = map(services, name);
            assertThat(compose.resolve((String) at(ferry, "build", "context")).normalize()).isEqualTo(root.normalize());
            assertThat(at(ferry, "build", "dockerfile")).isEqualTo("docker/Dockerfile");
            List<Object> command = list(ferry, "command");
            assertThat(command.stream().map(String.class::cast).filter(a -> a.startsWith("--"))).allMatch(helpOptions::contains);
            assertThat(command).containsExactly("--config", "/etc/ferry/ferry.yaml");
            Map<String, Path> volumes = volumes(compose, ferry);
            assertThat(volumes).containsKeys("/etc/ferry/ferry.yaml", "/etc/ferry/users");
            ferryConfig = volumes.get("/etc/ferry/ferry.yaml");
        }
        Map<String, Object> haproxyService = map(services, "haproxy");
        String haproxyAddress = (String) at(haproxyService, "networks", "ferry", "ipv4_address");
        assertThat(haproxyAddress).startsWith("172.28.0.");
        assertThat(map(list(stack, "networks", "ferry", "ipam", "config").get(0)).get("subnet")).isEqualTo("172.28.0.0/24");
        assertThat(list(haproxyService, "ports")).allMatch(port -> ((String) port).startsWith("127.0.0.1:"));

        // Ferry's compose configuration: PROXY protocol required from HAProxy only, admin on 9090
        Object ferryYaml = yaml(ferryConfig);
        assertThat(list(ferryYaml, "listen")).containsExactly("0.0.0.0:1080");
        assertThat(map(ferryYaml)).containsEntry("admin", "0.0.0.0:9090");
        List<Object> proxyProtocol = list(ferryYaml, "proxyProtocol");
        assertThat(proxyProtocol).hasSize(1);
        assertThat(map(proxyProtocol.get(0))).containsEntry("listen", "0.0.0.0:1080").containsEntry("mode", "required");
        assertThat(list(proxyProtocol.get(0), "trustedSources")).containsExactly(haproxyAddress + "/32");
        checkComposeConfig(ferryConfig);

        // HAProxy: TCP, PROXY v2 to each replica's SOCKS port, HTTP check of /health/ready on the admin port
        List<String> haproxy = Files.readAllLines(compose.resolve("haproxy.cfg"), StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("#")).toList();
        assertThat(volumes(compose, haproxyService)).containsEntry("/usr/local/etc/haproxy/haproxy.cfg",
                compose.resolve("haproxy.cfg").normalize());
        assertThat(haproxy).contains("mode tcp", "option httpchk", "http-check send meth GET uri /health/ready",
                "http-check expect status 200");
        assertThat(haproxy).anyMatch(line -> line.startsWith("default-server ") && line.contains(" check port 9090"));
        List<String> servers = haproxy.stream().filter(line -> line.startsWith("server ")).toList();
        assertThat(servers).containsExactly("server ferry1 ferry1:1080 send-proxy-v2", "server ferry2 ferry2:1080 send-proxy-v2");

        // Prometheus scrapes both replicas' admin listeners
        Object prometheus = yaml(compose.resolve("prometheus.yml"));
        assertThat(volumes(compose, map(services, "prometheus")))
                .containsEntry("/etc/prometheus/prometheus.yml", compose.resolve("prometheus.yml").normalize());
        List<Object> jobs = list(prometheus, "scrape_configs");
        assertThat(jobs).hasSize(1);
        assertThat(map(jobs.get(0))).containsEntry("metrics_path", "/metrics");
        assertThat(list(map(list(jobs.get(0), "static_configs").get(0)), "targets"))
                .containsExactly("ferry1:9090", "ferry2:9090");

        // Grafana: the provisioned datasource is the one every panel names; the dashboards folder is mounted
        Map<String, Path> grafana = volumes(compose, map(services, "grafana"));
        Path provisioning = grafana.get("/etc/grafana/provisioning");
        Object datasource = map(list(yaml(provisioning.resolve("datasources/prometheus.yaml")), "datasources").get(0));
        assertThat(map(datasource)).containsEntry("type", "prometheus").containsEntry("url", "http://prometheus:9090");
        Object provider = map(list(yaml(provisioning.resolve("dashboards/ferry.yaml")), "providers").get(0));
        Path dashboards = grafana.get((String) at(provider, "options", "path"));
        assertThat(dashboards).isEqualTo(compose.resolve("grafana/dashboards").normalize());
        for (Object panel : panels()) {
            assertThat(at(panel, "datasource", "uid")).isEqualTo(map(datasource).get("uid"));
            for (Object target : list(panel, "targets")) {
                assertThat(at(target, "datasource", "uid")).isEqualTo(map(datasource).get("uid"));
            }
        }
    }

    /** HAProxy itself accepts compose/haproxy.cfg ({@code haproxy -c}); skipped where HAProxy is not installed. */
    @Test
    void haproxyAcceptsTheComposeConfiguration() throws Exception {
        Path haproxy = Stream.of("/usr/sbin/haproxy", "/usr/local/sbin/haproxy", "/usr/bin/haproxy")
                .map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(haproxy != null, "haproxy is not installed");
        Result check = runFerry(List.of(haproxy.toString(), "-c", "-f",
                docker.resolve("compose/haproxy.cfg").toString()));
        assertThat(check.exitCode()).as(check.stdout() + check.stderr()).isZero();
        assertThat(check.stdout() + "\n" + check.stderr()).contains("Configuration file is valid");
    }

    /** The compose ferry.yaml, PROXY protocol section and all, through the jar's --check-config. */
    private void checkComposeConfig(Path ferryConfig) throws Exception {
        Files.copy(root.resolve("users.example"), dir.resolve("users"));
        Path copy = Files.copy(ferryConfig, dir.resolve("ferry.yaml"));
        Result check = runFerry(jarCommand("--config", copy.toString(), "--check-config"));
        assertThat(check.exitCode()).as(check.stderr()).isZero();
        assertThat(check.stdout()).startsWith(copy + ": OK\negress guard: ");
    }

    /** docker/healthcheck, the image's HEALTHCHECK, run here against 127.0.0.1:{@code port}. */
    private static Result healthcheck(String port) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(docker.resolve("healthcheck").toString());
        builder.environment().put("FERRY_HEALTH_PORT", port);
        Process process = builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), out.strip(), err.strip());
    }

    private static List<String> jarCommand(String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", FerryProcess.jar().toString()));
        command.addAll(List.of(args));
        return command;
    }

    /** A compose service's bind mounts: container path to the host file (which must exist). */
    private static Map<String, Path> volumes(Path compose, Map<String, Object> service) {
        Map<String, Path> volumes = new LinkedHashMap<>();
        for (Object volume : list(service, "volumes")) {
            String[] parts = ((String) volume).split(":");
            // ${VAR:-default} holds a colon: the default is what this test checks
            String source = parts[0].startsWith("${") ? ((String) volume).replaceAll("^\\$\\{[A-Z_]+:-([^}]+)}:.*$", "$1") : parts[0];
            String target = parts[0].startsWith("${") ? parts[2] : parts[1];
            Path host = compose.resolve(source).normalize();
            assertThat(host).as("volume source %s", volume).exists();
            volumes.put(target, host);
        }
        return volumes;
    }

    // ---------------------------------------------------------------- the dashboard against real metrics

    private static List<Object> panels() throws IOException {
        // JSON is YAML: the dashboard is read with snakeyaml-engine
        return list(yaml(docker.resolve("compose/grafana/dashboards/ferry.json")), "panels");
    }

    private static Set<String> dashboardMetrics() throws IOException {
        Set<String> names = new TreeSet<>();
        for (Object panel : panels()) {
            assertThat(map(panel)).containsKeys("title", "type", "gridPos");
            for (Object target : list(panel, "targets")) {
                String expr = (String) map(target).get("expr");
                Matcher metric = METRIC.matcher(expr);
                assertThat(METRIC.matcher(expr).find()).as("names a metric: %s", expr).isTrue();
                while (metric.find()) {
                    names.add(metric.group(1));
                }
            }
        }
        return names;
    }

    @Test
    void dashboardQueriesNameDocumentedMetersThatTheJarExposes() throws Exception {
        Set<String> used = dashboardMetrics();
        assertThat(used).contains("ferry_relayed_bytes_total", "ferry_tunnels_active", "ferry_handshakes_total",
                "ferry_handshake_duration_seconds_bucket");

        String documented = Files.readString(root.resolve("docs/metrics.md"), StandardCharsets.UTF_8);
        for (String name : used) {
            String meter = name.replaceAll("_(bucket|count|sum)$", "");
            assertThat(documented).as("docs/metrics.md lists %s", meter).contains("`" + meter + "`");
        }

        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try (LoopbackTargets targets = new LoopbackTargets();
                FerryProcess ferry = FerryProcess.startJar("--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                        "--dns-server", LOOPBACK_DNS)) {
            String proxy = ferry.awaitStdout(LISTENING).group(1);
            String admin = "http://" + ferry.awaitStdout(ADMIN).group(1);
            assertThat(Curl.socks5(proxy, null, targets.httpUrl()).output()).isEqualTo(LoopbackTargets.BODY);

            HttpResponse<String> scrape = http.send(HttpRequest.newBuilder(URI.create(admin + "/metrics"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.statusCode()).isEqualTo(200);
            Set<String> exposed = new TreeSet<>();
            for (String line : scrape.body().split("\n")) {
                if (!line.isEmpty() && !line.startsWith("#")) {
                    exposed.add(line.split("[{ ]", 2)[0]);
                }
            }
            assertThat(exposed).containsAll(used);

            // what probes, HAProxy and Prometheus ask for, the admin listener serves
            for (String path : List.of("/health/ready", "/health/live", "/metrics")) {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(admin + path)).build(),
                        HttpResponse.BodyHandlers.discarding());
                assertThat(response.statusCode()).as(path).isEqualTo(200);
            }
            // and the image's HEALTHCHECK script (with this admin port) passes, then fails once it drains
            String adminPort = admin.substring(admin.lastIndexOf(':') + 1);
            assertThat(healthcheck(adminPort).exitCode()).as(healthcheck(adminPort).stderr()).isZero();

            ferry.terminate();
            Result draining = org.awaitility.Awaitility.await("HEALTHCHECK fails once Ferry drains")
                    .atMost(Duration.ofSeconds(20)).until(() -> healthcheck(adminPort), result -> result.exitCode() == 1);
            assertThat(draining.stderr()).containsPattern("answered 503|nothing listening");
            assertThat(ferry.awaitExit()).isZero();
        }
    }
}
