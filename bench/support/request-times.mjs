/**
 * Preloaded into `keepsync serve` by bench/server-push-pull.bench.ts (`--import`): the time
 * the server itself spends on each push and pull, from the request's headers read to its
 * response handed to the socket, so a figure can be told apart from the bench client's own
 * share (fetch, its garbage collection). Writes `{ push: ms[], pull: ms[] }` in arrival order
 * to the file named by KEEPSYNC_REQUEST_TIMES when the process exits.
 *
 * Plain JavaScript, so the server runs from dist/ under Node alone, as users run it.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';

const report = process.env.KEEPSYNC_REQUEST_TIMES;
if (report) {
  /** @type {Record<'push' | 'pull', number[]>} */
  const times = { push: [], pull: [] };
  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function timed(event, ...args) {
    if (event === 'request') {
      const [request, response] = args;
      const route = request.url?.startsWith('/sync/push')
        ? 'push'
        : request.url?.startsWith('/sync/pull')
          ? 'pull'
          : null;
      if (route) {
        const started = performance.now();
        response.once('finish', () => times[route].push(performance.now() - started));
      }
    }
    return emit.apply(this, [event, ...args]);
  };
  process.on('exit', () => writeFileSync(report, JSON.stringify(times)));
}
