/**
 * Not API: code that crosses metrics-store's packages or modules (the merge rules, float
 * formatting) but that users never call. May change in any release.
 */
package io.forkserve.metrics.internal;
