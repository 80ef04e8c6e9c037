/**
 * Access rules: which client may reach which destination, decided on the request's fields.
 *
 * <p>Depends on the JDK only, and never resolves names: every address here is parsed from text by
 * this package itself, so a rule check can run on an event loop and cannot be steered by DNS.
 */
package dev.ferryproxy.policy;
