/** The supervisor, the Undertow front and the command-line tools. */
package io.forkserve.runtime;
