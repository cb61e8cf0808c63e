/**
 * Optional preload for bench/two-daemons.bench.ts (`--slow-sqlite`): times every better-sqlite3
 * statement, exec, pragma and transaction in the daemon and writes those over 300 ms as JSON
 * to `$KEEPSYNC_LOOP_REPORT.sql` on exit, to tell a stall spent waiting in SQLite from others.
 */
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';

const report = process.env.KEEPSYNC_LOOP_REPORT;
const SLOW_MS = 300;
type Callable = (...args: unknown[]) => unknown;

if (report) {
  const slow: Array<{ ms: number; what: string }> = [];
  const timed = (call: Callable, what: () => string): Callable =>
    function timedCall(this: unknown, ...args: unknown[]) {
      const started = performance.now();
      try {
        return call.apply(this, args);
      } finally {
        const ms = performance.now() - started;
        if (ms > SLOW_MS) slow.push({ ms: Math.round(ms), what: what().slice(0, 160) });
      }
    };
  const probe = new Database(':memory:');
  const statement = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Callable>;
  probe.close();
  for (const name of ['run', 'get', 'all']) {
    const original = statement[name]!;
    statement[name] = function timedStatement(this: { source: string }, ...args: unknown[]) {
      return timed(original, () => `${name} ${this.source}`).apply(this, args);
    };
  }
  const database = Database.prototype as unknown as Record<string, Callable>;
  for (const name of ['exec', 'pragma']) {
    const original = database[name]!;
    database[name] = function timedDatabase(this: unknown, ...args: unknown[]) {
      return timed(original, () => `${name} ${String(args[0])}`).apply(this, args);
    };
  }
  const transaction = database.transaction!;
  database.transaction = function timedTransaction(this: { name: string }, ...args: unknown[]) {
    const made = transaction.apply(this, args) as Callable & Record<string, Callable>;
    const what = () => `transaction on ${this.name}`;
    const wrapped = timed(made, what) as Callable & Record<string, Callable>;
    for (const variant of ['deferred', 'immediate', 'exclusive']) {
      wrapped[variant] = timed(made[variant]!, what);
    }
    return wrapped;
  };
  process.on('exit', () => writeFileSync(`${report}.sql`, JSON.stringify(slow)));
}
