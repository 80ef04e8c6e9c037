package dev.ferryproxy.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The anchors DocumentationLinksTest checks links against are the ones GitHub makes. */
class MarkdownAnchorsTest {
    @Test
    void punctuationAndCodeMarksAreDroppedAndSpacesBecomeHyphens() {
        assertThat(MarkdownAnchors.slug("`connect`: a tunnel on standard input and output, for ssh"))
                .isEqualTo("connect-a-tunnel-on-standard-input-and-output-for-ssh");
        assertThat(MarkdownAnchors.slug("Behind a load balancer: PROXY protocol"))
                .isEqualTo("behind-a-load-balancer-proxy-protocol");
        assertThat(MarkdownAnchors.slug("`bind` and `udp`")).isEqualTo("bind-and-udp");
        assertThat(MarkdownAnchors.slug("Errors and `--check-config`")).isEqualTo("errors-and---check-config");
    }

    @Test
    void aRepeatedHeadingGetsANumberAndFencedCodeHasNone() {
        assertThat(MarkdownAnchors.of("## Options\n\n```\n# not a heading\n```\n### Options\n"))
                .containsExactly("options", "options-1");
    }
}
