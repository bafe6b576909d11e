package io.forkserve.metrics.archive;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The archive as Debian's lmdb-utils {@code mdb_dump} (a process) prints it. */
class ArchiveToolsIT {
  @TempDir Path dir;

  @Test
  void mdbDump_printsReadableKeys() throws Exception {
    Path mdbDump = Tools.require("mdb_dump");
    ArchiveTest.writeWorkload(dir, ArchiveTest.PID_A, 3);
    try (MetricsArchive archive = MetricsArchive.open(dir)) {
      archive.fold(ArchiveTest.PID_A);
      String out =
          Processes.run(new byte[0], mdbDump.toString(), "-p", archive.folder().toString());
      List<String> lines = out.lines().toList();
      assertTrue(lines.contains(" series\\09counter\\09\\09\\09"
          + "[\"jobs\", \"jobs_total\", {\"route\": \"r0\"}, \"Jobs.\"]"), out);
      assertTrue(lines.contains(" series\\09histogram\\09\\09\\09[\"latency_seconds\", "
          + "\"latency_seconds_bucket\", {\"le\": \"0.5\", \"route\": \"r1\"}, \"Latency.\"]"),
          out);
      assertTrue(out.contains(" file\\09counter_" + ArchiveTest.PID_A + ".db\\09(dev="), out);
      assertTrue(lines.contains(" fold\\090000000001"), out);
      assertTrue(lines.contains(" meta\\09folds") && lines.contains(" 1"), out);
    }
  }
}
