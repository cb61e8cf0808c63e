import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { buildCheckoutWhenStale } from '../../test/setup/build.js';

/** A port nothing listens on right now, for a server started next. */
export function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

/**
 * `keepsync serve` of the checkout at `root` in a child process (so its memory and CPU are its
 * own), from its build under Node alone as users run it (built first when its src/ is newer),
 * serving `tasks` scoped by the `tenant` claim; resolves once it listens. The secret goes
 * through the environment, as the README advises, not the process arguments.
 */
export async function startSyncServer(
  root: string,
  db: string,
  port: number,
  jwtSecret: string,
): Promise<ChildProcess> {
  buildCheckoutWhenStale(root);
  const child = spawn(
    process.execPath,
    [
      join('dist', 'cli', 'main.js'),
      'serve',
      '--db',
      db,
      '--port',
      String(port),
      '--scope-claim',
      'tenant',
      '--collections',
      'tasks',
      '--log-level',
      'warn',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, KEEPSYNC_JWT_SECRET: jwtSecret },
    },
  );
  await new Promise<void>((done, fail) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      if (out.includes('listening on')) done();
    });
    child.once('exit', (code) => fail(new Error(`server exited ${code}`)));
  });
  return child;
}

/** Stops a child with SIGTERM and waits for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}
