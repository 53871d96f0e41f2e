/**
 * Where the client stands in the event log: the newest cursor, the time to resume `since` while
 * there is no cursor yet, and which connections' resumes are still unanswered.
 */
import type { Link } from './link.js';
import type { ResumeEndFrame, ResumeMessage } from './types.js';

export class ResumePosition {
  #cursor: string | undefined;
  /** The `since` option; the first open time once a connection has opened without one. */
  #since: number | undefined;
  /** Links whose `resume` has not been answered by its final `resume-end` yet. */
  readonly #resuming = new WeakSet<Link>();

  constructor(since: number | undefined) {
    this.#since = since;
  }

  get cursor(): string | undefined {
    return this.#cursor;
  }

  /** Moves to `cursor` when it is newer (cursors sort in arrival order, a 13-digit time first). */
  advance(cursor: string): void {
    if (this.#cursor === undefined || cursor > this.#cursor) this.#cursor = cursor;
  }

  /** A connection opened at `at`: later connections without a cursor resume since then. */
  opened(at: number | undefined): void {
    this.#since ??= at;
  }

  /** Sends `resume` after the cursor, else since `#since`; false when there is nothing to resume. */
  send(link: Link): boolean {
    const message: ResumeMessage | undefined =
      this.#cursor !== undefined
        ? { action: 'resume', after: this.#cursor }
        : this.#since !== undefined
          ? { action: 'resume', since: this.#since }
          : undefined;
    if (message === undefined || !link.send(message)) return false;
    this.#resuming.add(link);
    return true;
  }

  /** A `resume-end` on `link`; true when the resume is complete (else the next batch was asked for). */
  ended(link: Link, frame: ResumeEndFrame): boolean {
    this.advance(frame.cursor);
    if (frame.more && link.send({ action: 'resume', after: frame.cursor })) return false;
    this.#resuming.delete(link);
    return true;
  }

  /** Whether `link` still waits for its resume's end. */
  pending(link: Link): boolean {
    return this.#resuming.has(link);
  }

  /** An `error` frame on `link`; true when it refused a pending resume (continuity unproven). */
  refused(link: Link): boolean {
    return this.#resuming.delete(link);
  }
}
