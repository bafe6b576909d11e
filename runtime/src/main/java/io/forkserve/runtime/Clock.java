package io.forkserve.runtime;

/**
 * The clock {@code dispatch.Dispatcher} still takes; new code uses {@link
 * io.forkserve.runtime.internal.Clock}. Kept only until Dispatcher's import moves (that file is
 * being changed elsewhere); then delete this type, which closes the last runtime <-> dispatch edge.
 */
@FunctionalInterface
public interface Clock extends io.forkserve.runtime.internal.Clock {}
