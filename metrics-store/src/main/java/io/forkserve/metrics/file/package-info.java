/**
 * The public name of the on-disk format: {@link io.forkserve.metrics.file.FormatVersion}, which a
 * registry's builder takes. The format's readers, writers and layout are not API: they live in
 * {@code io.forkserve.metrics.internal.file}.
 */
package io.forkserve.metrics.file;
