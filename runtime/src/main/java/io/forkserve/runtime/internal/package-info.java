/**
 * Types the runtime's packages share that are not API: the injected clock and the closed set of
 * restart reasons. Depends on nothing else in the runtime, so no package cycle goes through it.
 */
package io.forkserve.runtime.internal;
