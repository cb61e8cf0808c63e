import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';

export interface VerifyCommandOptions extends GlobalOptions {
  repair?: boolean;
}

/**
 * `keepsync verify [pipelines...] [--repair]`: compares each unit's destination with what
 * keepsync wrote there and, with --repair, re-writes objects edited or deleted by hand.
 */
export function registerVerifyCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('verify')
    .description(
      'find destination objects edited or deleted by hand (missing, changed, extra); --repair re-writes them from the source',
    )
    .argument('[pipelines...]', 'only these pipelines')
    .option('--repair', 're-write missing and changed objects from the source (never truncates)')
    .action(async (names: string[], options: { repair?: boolean }) => {
      const { verifyCommand } = await import('./verify-run.js');
      setExitCode(await verifyCommand(names, { ...program.opts<GlobalOptions>(), ...options }));
    });
}
