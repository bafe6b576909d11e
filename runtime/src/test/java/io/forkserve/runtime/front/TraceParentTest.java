package io.forkserve.runtime.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The W3C traceparent grammar, strictly: what is accepted and what is ignored. */
class TraceParentTest {
  private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN = "00f067aa0ba902b7";

  @ParameterizedTest
  @ValueSource(strings = {
      "00-" + TRACE + "-" + SPAN + "-01",
      "00-" + TRACE + "-" + SPAN + "-00",
      " 00-" + TRACE + "-" + SPAN + "-01 ",
      "01-" + TRACE + "-" + SPAN + "-01-future-field",
      "01-" + TRACE + "-" + SPAN + "-01"})
  void validHeadersGiveTraceAndSpan(String header) {
    TraceParent t = TraceParent.parse(header);
    assertEquals(TRACE + SPAN, new String(t.frameBytes(), StandardCharsets.US_ASCII));
    assertEquals("trace_id," + TRACE + ",span_id," + SPAN, t.exemplar().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "00-" + TRACE + "-" + SPAN,
      "00-" + TRACE + "-" + SPAN + "-01-extra",
      "ff-" + TRACE + "-" + SPAN + "-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + SPAN + "-01",
      "00-" + TRACE + "-" + SPAN + "-0g",
      "00-00000000000000000000000000000000-" + SPAN + "-01",
      "00-" + TRACE + "-0000000000000000-01",
      "00_" + TRACE + "-" + SPAN + "-01",
      "00-" + TRACE + "a-" + SPAN + "-01",
      "01-" + TRACE + "-" + SPAN + "-01x",
      "00-" + TRACE + "-" + SPAN + "-01\"} 1 # {x=\"y"})
  void invalidHeadersAreIgnored(String header) {
    assertNull(TraceParent.parse(header));
  }
}
