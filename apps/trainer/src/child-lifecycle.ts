/**
 * The sandboxed training child's ties to its parent, the trainer process (BullMQ forks one child
 * per concurrent job and talks to it over IPC). `childShutdown` aborts when the child must stop:
 *
 * - SIGTERM: the trainer is closing (its worker's close sends it to every child). The attempt stops
 *   after its current step, stores its checkpoint and goes back to the queue (train-run.ts).
 * - the IPC channel closes: the parent died (kill -9, OOM, a crash). Nobody renews the job's lock
 *   or reads the result any more, so the child must not train on alone: it stops the same way and
 *   exits. A synchronous training step blocks the event loop, so this is noticed between steps; a
 *   timer ends the process if stopping itself hangs (a database call that never returns).
 */
const stopping = new AbortController();

/** The abort reasons of `childShutdown`. */
export const SIGTERM = 'SIGTERM';
export const PARENT_GONE = 'parent-gone';

/** Aborted with SIGTERM or PARENT_GONE. */
export const childShutdown: AbortSignal = stopping.signal;

/** After the parent is gone, the longest the child spends stopping before it exits regardless. */
export const PARENT_GONE_EXIT_MS = 5_000;

let tied = false;

/** Ends the child once its job has stopped, if the parent is gone (nothing else would: BullMQ's child waits for messages). */
export function exitIfParentGone(): void {
  if (childShutdown.reason === PARENT_GONE) process.exit(1);
}

/** Installs the handlers, once, in a forked child (a no-op in a process without IPC). */
export function tieToParent(): void {
  if (tied || typeof process.send !== 'function') return;
  tied = true;
  process.once('SIGTERM', () => stopping.abort(SIGTERM));
  process.once('disconnect', () => {
    stopping.abort(PARENT_GONE);
    setTimeout(() => process.exit(1), PARENT_GONE_EXIT_MS).unref();
  });
}
