package dev.ferryproxy.app;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar's manifest ("dev" when run from classes). */
public final class FerryVersion implements IVersionProvider {
    static String version() {
        String version = FerryVersion.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }

    @Override
    public String[] getVersion() {
        return new String[] {"Ferry " + version(), "Java " + Runtime.version() + ", Netty " + nettyVersion()};
    }

    private static String nettyVersion() {
        var netty = io.netty.util.Version.identify().get("netty-common");
        return netty != null ? netty.artifactVersion() : "unknown";
    }
}
