/**
 * The one-command runner the CLI examples share: start the example's fakes, run
 * `keepsync run --once` through the CLI once per step with the fakes' settings in the
 * environment and a throwaway state file, print what each run did, stop the fakes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** The services an example runs against, and the settings its keepsync.config.ts reads. */
export interface ExampleFakes {
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

export interface ExampleStep<F> {
  readonly title: string;
  /** What changes in the services before this run. */
  readonly change?: ((fakes: F) => void) | undefined;
  /** A line about the result, printed after the run's request counts. */
  readonly report?: ((fakes: F) => string) | undefined;
}

export interface Example<F extends ExampleFakes> {
  /** The example's folder (`import.meta.dirname` of its main.ts), holding keepsync.config.ts. */
  readonly dir: string;
  readonly start: () => Promise<F>;
  /** The requests each service saw in the last run, as one line. */
  readonly requests: (fakes: F) => string;
  /** Zeroes the services' request counts before a run after the first. */
  readonly resetCounts: (fakes: F) => void;
  readonly steps: readonly ExampleStep<F>[];
}

const cli = join(import.meta.dirname, '../../src/cli/main.ts');

export async function runExample<F extends ExampleFakes>(example: Example<F>): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), `keepsync-${basename(example.dir)}-`));
  const fakes = await example.start();
  const env = { ...fakes.env, KEEPSYNC_STATE: join(state, 'keepsync.db') };
  const config = join(example.dir, 'keepsync.config.ts');
  try {
    for (const [index, step] of example.steps.entries()) {
      step.change?.(fakes);
      if (index > 0) example.resetCounts(fakes);
      console.log(`${index > 0 ? '\n' : ''}${index + 1}. ${step.title}`);
      console.log(await keepsync(config, env, 'run', '--once'));
      console.log(`   requests: ${example.requests(fakes)}`);
      if (step.report) console.log(`   ${step.report(fakes)}`);
    }
  } finally {
    await fakes.close();
    rmSync(state, { recursive: true, force: true });
  }
}

function keepsync(config: string, env: Record<string, string>, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--config', config, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`keepsync exited with ${code}\n${out}`)),
    );
  });
}
