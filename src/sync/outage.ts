import { KeepsyncError } from '../model/index.js';

/**
 * Tells a destination outage from bad records. A write that still fails after its retries
 * (5xx, 429, timeouts, refused connections) or that the destination reports `unavailable`
 * says nothing about the record: the run fails and the page's cursor stays, so the next run
 * reads the page again. Only a record-specific rejection becomes a dead letter, and a page
 * whose writes are mostly rejected trips the breaker: that is a destination problem too.
 */
export interface CircuitBreakerOptions {
  /**
   * The largest share (0-1) of a page's writes the destination may reject; above it the run
   * stops, the rejected records are not dead-lettered and the cursor stays.
   * @default 0.5
   */
  maxRejectedShare?: number | undefined;
  /** Pages with fewer writes than this never trip the breaker. @default 10 */
  minWrites?: number | undefined;
}

export type ResolvedCircuitBreaker = Required<{
  [K in keyof CircuitBreakerOptions]: NonNullable<CircuitBreakerOptions[K]>;
}>;

/** Applies the breaker's defaults, naming the pipeline when an option is out of range. */
export function resolveCircuitBreaker(
  options: CircuitBreakerOptions | undefined,
  where: string,
): ResolvedCircuitBreaker {
  const maxRejectedShare = options?.maxRejectedShare ?? 0.5;
  if (!(maxRejectedShare >= 0 && maxRejectedShare <= 1)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`circuitBreaker.maxRejectedShare\` to be between 0 and 1, got ${maxRejectedShare}`,
    );
  }
  const minWrites = options?.minWrites ?? 10;
  if (!(Number.isInteger(minWrites) && minWrites >= 1)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected ${where} \`circuitBreaker.minWrites\` to be a whole number of at least 1, got ${minWrites}`,
    );
  }
  return { maxRejectedShare, minWrites };
}

export interface PageFailures {
  readonly pipeline: string;
  readonly unit: string;
  readonly destination: string;
  /** Writes the page attempted. */
  readonly attempted: number;
  /** Writes the destination rejected as bad records. */
  readonly rejected: number;
  readonly firstRejection: string | undefined;
  /** Writes still failing when the retries ran out, or reported `unavailable`. */
  readonly failing: number;
  readonly lastFailure: string | undefined;
}

/** The error that stops the run for this page, or null when the page may be committed as is. */
export function pageStopError(
  failures: PageFailures,
  breaker: ResolvedCircuitBreaker,
): KeepsyncError | null {
  const where = `pipeline ${failures.pipeline} unit ${failures.unit}`;
  if (failures.failing > 0) {
    return new KeepsyncError(
      'DESTINATION_UNAVAILABLE',
      `Destination ${failures.destination} is failing (${where}): ${failures.failing} of ` +
        `${failures.attempted} writes of this page still failed after retries, last: ` +
        `${failures.lastFailure ?? 'unknown error'}. The cursor stays; the next run reads this page again.`,
    );
  }
  if (
    failures.attempted >= breaker.minWrites &&
    failures.rejected > failures.attempted * breaker.maxRejectedShare
  ) {
    return new KeepsyncError(
      'TOO_MANY_REJECTED',
      `Destination ${failures.destination} rejected ${failures.rejected} of ${failures.attempted} ` +
        `writes of one page (${where}), more than circuitBreaker.maxRejectedShare ` +
        `${breaker.maxRejectedShare}; first: ${failures.firstRejection ?? 'unknown error'}. ` +
        'Nothing was dead-lettered and the cursor stays: check the destination (its schema, ' +
        'its permissions), or raise the limit.',
    );
  }
  return null;
}
