package dev.ferryproxy.policy;

import java.util.Objects;

/**
 * The outcome of evaluating rules. rule is the rule that decided, or null when no rule matched
 * (then the action is DENY: "no rule matched").
 *
 * @param action what to do with the request
 * @param rule the rule that decided, null when none matched
 * @param reason for logs: "rules[2] (deny)", "no rule matched", ...
 */
public record Decision(Action action, Rule rule, String reason) {
    private static final String NO_RULE_MATCHED = "no rule matched";
    private static final Decision NONE_MATCHED = new Decision(Action.DENY, null, NO_RULE_MATCHED);

    /** Checks that a decision without a rule is a denial and one with a rule carries the rule's action. */
    public Decision {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reason, "reason");
        if (rule == null && action != Action.DENY) {
            throw new IllegalArgumentException("only a rule can allow; with no rule the action is DENY");
        }
        if (rule != null && rule.action() != action) {
            throw new IllegalArgumentException("rule " + rule.name() + " says " + rule.action().configName()
                    + ", not " + action.configName());
        }
    }

    /** The decision of {@code rule}, with the reason "NAME (ACTION)", e.g. "rules[2] (deny)". */
    public static Decision byRule(Rule rule) {
        return new Decision(rule.action(), rule, rule.name() + " (" + rule.action().configName() + ")");
    }

    /** The denial when no rule matched. */
    public static Decision noRuleMatched() {
        return NONE_MATCHED;
    }

    /** Whether the request may go ahead. */
    public boolean allowed() {
        return action == Action.ALLOW;
    }
}
