package io.forkserve.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.worker.channel.Frames;
import org.junit.jupiter.api.Test;

class CreditWindowTest {
  @Test
  void fastWorkAsksForManyRequestsUpToTheCap() {
    CreditWindow credit = new CreditWindow(1);
    credit.served(1, 5_000); // 5 us per request: 200 fit in 1 ms
    assertEquals(Frames.MAX_CREDIT_PER_BATCH_SLOT, credit.window());
    assertEquals(Frames.MAX_CREDIT_PER_BATCH_SLOT, credit.grant());
    assertEquals(0, credit.grant());
  }

  @Test
  void slowWorkAsksForOneBatchAtATime() {
    CreditWindow credit = new CreditWindow(4);
    credit.served(4, 400_000_000); // 100 ms per request
    assertEquals(4, credit.window());
    assertEquals(4, credit.grant()); // 4 initial, all answered: 4 more
    assertEquals(0, credit.grant());
    credit.served(2, 200_000_000);
    assertEquals(2, credit.grant());
  }
}
