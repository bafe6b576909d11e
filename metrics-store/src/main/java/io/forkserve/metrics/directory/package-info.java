/**
 * The multiprocess directory's lifecycle for the server that owns it: validation and creation,
 * an exclusive lock against a second server, wipe-on-startup limited to the files this format
 * owns, and deletion of a dead process's files.
 */
package io.forkserve.metrics.directory;
