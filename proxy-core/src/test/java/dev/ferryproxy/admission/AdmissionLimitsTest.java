package dev.ferryproxy.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AdmissionLimitsTest {
    @Test
    void theDefaultsComeFromTheDescriptorLimitSoNoClientHoldsMoreThanATenth() {
        // the finding's server: 20,000 descriptors, all of them filled by one client's UDP associations
        AdmissionLimits limits = AdmissionLimits.forDescriptors(20_000);
        assertThat(limits).isEqualTo(new AdmissionLimits(9_872, 987, 64, 4_936, 493));
        assertThat(AdmissionLimits.forDescriptors(1_024)).isEqualTo(new AdmissionLimits(384, 38, 38, 192, 19));
        AdmissionLimits container = AdmissionLimits.forDescriptors(1_048_576);
        assertThat(container.maxConnections()).isEqualTo(524_160);
        assertThat(container.maxConnectionsPerClient()).isEqualTo(52_416);
    }

    @Test
    void evenATinyLimitLeavesEveryBoundAtLeastOne() {
        AdmissionLimits tiny = AdmissionLimits.forDescriptors(10);
        assertThat(tiny.maxConnections()).isEqualTo(32);
        assertThat(tiny.maxConnectionsPerClient()).isEqualTo(16);
        assertThat(tiny.maxUdpAssociationsPerClient()).isEqualTo(4);
        assertThat(AdmissionLimits.forThisProcess().maxConnections()).isPositive();
    }

    @Test
    void aBoundBelowOneIsRefusedByName() {
        assertThatThrownBy(() -> new AdmissionLimits(10, 0, 1, 1, 1))
                .hasMessage("maxConnectionsPerClient: 0 (expected: >= 1)");
    }

    @Test
    void placesAreBoundedInAllAndPerClientAndIPv6CountsPerSlash64() throws Exception {
        BoundedPlaces places = new BoundedPlaces(3, 2);
        java.net.InetAddress a = java.net.InetAddress.getByName("2001:db8:1:2::1");
        java.net.InetAddress sameSlash64 = java.net.InetAddress.getByName("2001:db8:1:2::ffff");
        java.net.InetAddress other = java.net.InetAddress.getByName("192.0.2.1");
        assertThat(places.tryAcquire(a)).isEqualTo(BoundedPlaces.Verdict.ADMITTED);
        assertThat(places.tryAcquire(sameSlash64)).isEqualTo(BoundedPlaces.Verdict.ADMITTED);
        assertThat(places.tryAcquire(a)).isEqualTo(BoundedPlaces.Verdict.CLIENT_FULL);
        assertThat(places.tryAcquire(other)).isEqualTo(BoundedPlaces.Verdict.ADMITTED);
        assertThat(places.tryAcquire(java.net.InetAddress.getByName("192.0.2.2")))
                .isEqualTo(BoundedPlaces.Verdict.TOTAL_FULL);
        places.release(sameSlash64);
        assertThat(places.held()).isEqualTo(2);
        assertThat(places.tryAcquire(a)).isEqualTo(BoundedPlaces.Verdict.ADMITTED);
    }
}
