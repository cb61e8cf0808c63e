import net from 'node:net';

/** Sends one request and resolves with the body of its 200 answer. */
export type Sender = (method: 'GET' | 'POST', path: string, body?: string) => Promise<Buffer>;

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * HTTP/1.1 over one kept-alive socket, reading into buffers allocated once: as a load tester in
 * C measures, with none of the measuring process's garbage (node:http's chunks and concat made
 * its external memory start a mark-compact every ~100 ms of pulls). Answers must carry a
 * Content-Length (keepsync's do); the returned body is a view, valid until the next request.
 */
export async function rawHttpSender(url: string, headers: Record<string, string>): Promise<Sender> {
  const { hostname, port } = new URL(url);
  const answer = Buffer.alloc(16 * 1024 * 1024);
  let filled = 0;
  let pending: {
    done: (body: Buffer) => void;
    fail: (error: Error) => void;
    label: string;
  } | null = null;
  const settle = () => {
    if (!pending) return;
    const headEnd = answer.subarray(0, filled).indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = answer.toString('latin1', 0, headEnd);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!length) {
      pending.fail(new Error(`${pending.label}: no Content-Length in ${head.split('\r\n')[0]}`));
      pending = null;
      return;
    }
    const start = headEnd + HEAD_END.length;
    const end = start + Number(length[1]);
    if (filled < end) return;
    const status = head.slice(9, 12);
    const { done, fail, label } = pending;
    pending = null;
    filled = 0;
    if (status === '200') done(answer.subarray(start, end));
    else fail(new Error(`${label}: ${status}`));
  };
  const socket = net.connect({
    host: hostname,
    port: Number(port),
    noDelay: true,
    onread: {
      buffer: () => answer.subarray(filled),
      callback: (bytes) => {
        filled += bytes;
        settle();
        return true;
      },
    },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', (error) => pending?.fail(error));
  const fixed = Object.entries({ host: `${hostname}:${port}`, ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (method, path, body) =>
    new Promise((done, fail) => {
      pending = { done, fail, label: `${method} ${path}` };
      const length = body === undefined ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`;
      socket.write(`${method} ${path} HTTP/1.1\r\n${fixed}${length}\r\n${body ?? ''}`);
    });
}
