/** What a publish returns: one result per event, accepted or refused. */
import { PublishError } from './errors.js';
import type { InvoiceEvent } from '../types.js';

/** An event SNS accepted: its SNS message id, its event id and the envelope sent. */
export interface PublishResult {
  ok: true;
  messageId: string;
  eventId: string;
  event: InvoiceEvent;
}

/**
 * A batch entry SNS refused (or whose PublishBatch call failed as a whole); `senderFault` is
 * `false` for AWS-side errors, which a retry may fix.
 */
export interface PublishFailure {
  ok: false;
  eventId: string;
  event: InvoiceEvent;
  code: string;
  message: string;
  senderFault: boolean;
}

export type BatchEntryResult = PublishResult | PublishFailure;

/** Thrown by {@link BatchPublishResult.raiseForFailures}: `failures` lists every refused entry. */
export class BatchPublishError extends PublishError {
  constructor(readonly failures: readonly PublishFailure[]) {
    const first = failures[0]!;
    const codes = [...new Set(failures.map((failure) => failure.code))].sort().join(', ');
    const count = `${failures.length} batch entr${failures.length === 1 ? 'y' : 'ies'}`;
    super(first.code, `${count} failed (${codes})`, first.eventId);
  }
}

/** Per-entry outcome of `publishBatch`, in input order. */
export class BatchPublishResult {
  constructor(readonly entries: readonly BatchEntryResult[]) {}

  /** The entries SNS accepted, in input order. */
  get successful(): PublishResult[] {
    return this.entries.filter((entry): entry is PublishResult => entry.ok);
  }

  /** The entries SNS refused, in input order. */
  get failed(): PublishFailure[] {
    return this.entries.filter((entry): entry is PublishFailure => !entry.ok);
  }

  /** Whether SNS accepted every entry. */
  get ok(): boolean {
    return this.failed.length === 0;
  }

  /** Throw {@link BatchPublishError} if any entry failed; return `this` otherwise. */
  raiseForFailures(): this {
    const failures = this.failed;
    if (failures.length) throw new BatchPublishError(failures);
    return this;
  }
}
