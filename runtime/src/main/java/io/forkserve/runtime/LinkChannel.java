package io.forkserve.runtime;

import io.forkserve.runtime.dispatch.WorkerLink;

/** The pool's view of a {@link WorkerLink}. */
final class LinkChannel implements WorkerChannel {
  private final WorkerLink link;

  LinkChannel(WorkerLink link) {
    this.link = link;
  }

  @Override
  public long served() {
    return link.served();
  }

  @Override
  public void goneBecause(String message) {
    link.goneBecause(message);
  }

  @Override
  public void retire() {
    link.retire();
  }

  @Override
  public boolean drained() {
    return link.drained();
  }

  @Override
  public void finish() {
    link.finish();
  }

  @Override
  public String toString() {
    return link.toString();
  }
}
