package io.forkserve.metrics.archive;

import java.nio.file.Path;

/** Opens a read transaction on the archive of {@code args[0]}, says "reading", and waits. */
public final class ReaderHolderMain {
  private ReaderHolderMain() {}

  /** Args: DIR. */
  public static void main(String[] args) throws Exception {
    MetricsArchive archive = MetricsArchive.openReadOnly(Path.of(args[0]));
    archive.newMergeSource().beginScrape();
    System.out.println("reading");
    System.out.flush();
    Thread.currentThread().join(); // until killed
  }
}
