import type { Command } from 'commander';
import { KeepsyncError } from '../model/index.js';
import { EXIT } from './exit-codes.js';
import { loadTemporal } from './load-temporal.js';

/** `keepsync temporal codec-server`: the Temporal UI's window into encrypted history. */
export function registerCodecServerCommand(
  temporal: Command,
  setExitCode: (code: number) => void,
): void {
  temporal
    .command('codec-server')
    .description(
      'serve /encode and /decode (KEEPSYNC_CODEC_KEYS) for the Temporal UI and CLI to show history in clear',
    )
    .option('--port <port>', 'port to listen on', '8888')
    .option(
      '--host <host>',
      'interface to listen on (keep it private: it holds the keys)',
      '127.0.0.1',
    )
    .option('--cors-origin <origins...>', 'browser origins allowed, e.g. http://localhost:8233', [])
    .action(async (options: { port: string; host: string; corsOrigin: string[] }) => {
      setExitCode(await serveCodec(options));
    });
}

async function serveCodec(options: {
  port: string;
  host: string;
  corsOrigin: string[];
}): Promise<number> {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KeepsyncError('CONFIG_INVALID', `Expected --port to be 0-65535, got ${options.port}`);
  }
  const module = await loadTemporal();
  const keys = module.parseCodecKeys(process.env.KEEPSYNC_CODEC_KEYS ?? '');
  if (keys.length === 0) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      'The codec server needs the keys: set KEEPSYNC_CODEC_KEYS (id:base64key, the encrypting key first)',
    );
  }
  const server = module.createCodecServer({
    codec: module.aesGcmCodec({ keys }),
    corsOrigins: options.corsOrigin,
    token: process.env.KEEPSYNC_CODEC_SERVER_TOKEN || undefined,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new KeepsyncError(
          'CONFIG_INVALID',
          error.code === 'EADDRINUSE'
            ? `Port ${port} on ${options.host} is in use; choose another with --port`
            : `Could not listen on ${options.host}:${port}: ${error.message}`,
        ),
      ),
    );
    server.listen(port, options.host, resolve);
  });
  const closed = new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const address = server.address() as { port: number };
  process.stdout.write(
    `keepsync codec server on http://${options.host}:${address.port} (keys ${keys.map((key) => key.id).join(', ')})\n`,
  );
  await closed;
  return EXIT.ok;
}
