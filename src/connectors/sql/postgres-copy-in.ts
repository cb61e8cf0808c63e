import type { PgPoolClient } from '../../store/index.js';

/** What a `pg` connection offers a query it runs: its socket and the simple Query message. */
interface PgConnection {
  readonly stream: { write(chunk: Uint8Array): boolean };
  query(text: string): void;
}

/** Protocol message types (frontend): CopyData and CopyDone. */
const COPY_DATA = 0x64;
const COPY_DONE = 0x63;

/**
 * Runs `COPY ... FROM STDIN` with `data` (COPY's text format) on the connection, sending the
 * query, its data and the end of the data in one go instead of waiting for the server's
 * CopyInResponse first. The protocol allows it: a server whose COPY fails (before or during
 * copy-in) reports the error and skips the CopyData and CopyDone that follow. That saves a
 * round trip per COPY, and the server parses the rows while this process works on the next
 * page instead of waiting for this process to come back to the event loop.
 * Resolves once the server is ready for the next query (the rows are in, or committed when
 * the COPY runs on its own); rejects with the server's error.
 */
export function copyIn(connection: PgPoolClient, sql: string, data: string): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.query(new EagerCopy(sql, data, resolve, reject));
  });
}

/** A `pg` submittable: `pg` calls its handlers with the server's replies to the COPY. */
class EagerCopy {
  /** The statement, where `pg` and whoever watches its queries look for it. */
  readonly text: string;
  readonly #data: string;
  readonly #resolve: () => void;
  readonly #reject: (error: Error) => void;

  constructor(sql: string, data: string, resolve: () => void, reject: (error: Error) => void) {
    this.text = sql;
    this.#data = data;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  submit(connection: PgConnection): void {
    const body = Buffer.from(this.#data, 'utf8');
    const header = Buffer.allocUnsafe(5);
    header[0] = COPY_DATA;
    header.writeUInt32BE(body.length + 4, 1);
    connection.query(this.text);
    connection.stream.write(header);
    connection.stream.write(body);
    connection.stream.write(Buffer.from([COPY_DONE, 0, 0, 0, 4]));
  }

  /** `pg` replaces this with its query timeout when one is configured. */
  callback(): void {}

  /** The data went out with the query already. */
  handleCopyInResponse(): void {}

  handleCommandComplete(): void {}

  handleError(error: Error): void {
    this.#reject(error);
  }

  handleReadyForQuery(): void {
    this.#resolve();
  }
}
