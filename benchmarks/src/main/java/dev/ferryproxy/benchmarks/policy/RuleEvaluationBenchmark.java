package dev.ferryproxy.benchmarks.policy;

import dev.ferryproxy.policy.AccessRequest;
import dev.ferryproxy.policy.AccessRules;
import dev.ferryproxy.policy.Command;
import dev.ferryproxy.policy.Decision;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The access rules deciding one request against {@link RealisticPolicy}'s 50 rules, as the
 * CONNECT handler asks them: by address at once; by name first before resolution and, when that
 * is undecided, again with the resolved address. The requests are built once.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar policy.RuleEvaluationBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class RuleEvaluationBenchmark {
    private AccessRules rules;
    private AccessRequest addressAllowedByLastRule;
    private AccessRequest addressDeniedByNetwork;
    private AccessRequest addressNoRuleMatches;
    private AccessRequest nameDeniedByPattern;
    private AccessRequest nameAllowedForUser;
    private AccessRequest nameAllowedForTeam;
    private AccessRequest teamNameResolved;
    private AccessRequest userNameResolved;

    @Setup
    public void setUp() throws UnknownHostException {
        rules = RealisticPolicy.rules();
        InetAddress internalClient = InetAddress.getByName("10.1.2.3");
        InetAddress teamClient = InetAddress.getByName("10.120.7.8");
        InetAddress publicTarget = InetAddress.getByName("93.184.215.14");
        addressAllowedByLastRule = request(internalClient, null, null, publicTarget, 443);
        addressDeniedByNetwork = request(internalClient, null, null, InetAddress.getByName("192.168.1.10"), 443);
        addressNoRuleMatches = request(InetAddress.getByName("198.51.100.7"), null, null, publicTarget, 443);
        nameDeniedByPattern = request(internalClient, null, "cdn.ads-6.example", null, 443);
        nameAllowedForUser = request(internalClient, "build-3", "repo1.maven.org", null, 443);
        nameAllowedForTeam = request(teamClient, null, "wiki.team-20.example", null, 443);
        teamNameResolved = nameAllowedForTeam.withDestinationAddress(publicTarget);
        userNameResolved = nameAllowedForUser.withDestinationAddress(publicTarget);
    }

    private static AccessRequest request(InetAddress client, String user, String name, InetAddress address, int port) {
        return new AccessRequest(client, user, 5, Command.CONNECT, name, address, port);
    }

    /** Falls through 49 rules to the internal-clients allow. */
    @Benchmark
    public Decision addressAllowedByLastRule() {
        return rules.evaluate(addressAllowedByLastRule);
    }

    /** Denied by the third private-network rule (rule 12). */
    @Benchmark
    public Decision addressDeniedByNetwork() {
        return rules.evaluate(addressDeniedByNetwork);
    }

    /** An outside client: no rule matches, all 50 are tried. */
    @Benchmark
    public Decision addressNoRuleMatches() {
        return rules.evaluate(addressNoRuleMatches);
    }

    /** Decided before resolution by a wildcard blocklist rule. */
    @Benchmark
    public Optional<Decision> nameDeniedByPattern() {
        return rules.evaluateBeforeResolution(nameDeniedByPattern);
    }

    /**
     * A name the network rules leave open before resolution, then decided with its address by a
     * team's rule, as the CONNECT handler does: both evaluations.
     */
    @Benchmark
    public Decision nameAllowedForTeam() {
        Optional<Decision> early = rules.evaluateBeforeResolution(nameAllowedForTeam);
        return early.isPresent() ? early.get() : rules.evaluate(teamNameResolved);
    }

    /** A build user's name request: undecided before resolution, then allowed by its user rule. */
    @Benchmark
    public Decision nameAllowedForUser() {
        Optional<Decision> early = rules.evaluateBeforeResolution(nameAllowedForUser);
        return early.isPresent() ? early.get() : rules.evaluate(userNameResolved);
    }
}
