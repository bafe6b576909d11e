/** The serving API that user code compiles against, and the worker process that runs it. */
package io.forkserve.worker;
