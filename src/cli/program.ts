import { Command } from 'commander';
import { registerAuthCommand } from './auth-command.js';
import {
  deadLettersListCommand,
  deadLettersRetryCommand,
  initCommand,
  pauseCommand,
  resetCommand,
  resumeCommand,
  runCommand,
  statusCommand,
  triggerCommand,
} from './commands.js';
import { registerConflictsCommand } from './conflicts-command.js';
import { registerCopyCommand } from './copy-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerTemporalCommands } from './temporal-command.js';

/** The `keepsync` command line; each action resolves to an exit code. */
export function createProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('keepsync')
    .description('Durable, idempotent sync for records between the systems you use')
    .option('-c, --config <file>', 'config file (default: keepsync.config.ts)')
    .option('--json', 'machine-readable output on stdout')
    .showHelpAfterError();

  const global = () => program.opts<{ config?: string; json?: boolean }>();
  const act =
    <A extends unknown[]>(action: (...args: A) => number | Promise<number>) =>
    async (...args: A) => {
      setExitCode(await action(...args));
    };

  program
    .command('init')
    .description('create a keepsync.config.ts here')
    .option('--force', 'overwrite')
    .action(act((options: { force?: boolean }) => initCommand(options)));

  program
    .command('run')
    .description('run pipelines on their schedules (or once with --once)')
    .argument('[pipelines...]', 'only these pipelines')
    .option('--once', 'run every unit once, print what it did, and exit')
    .action(
      act((names: string[], options: { once?: boolean }) =>
        runCommand(names, { ...global(), ...options }),
      ),
    );

  program
    .command('status')
    .description('a table of every unit: last run, next run, errors')
    .action(act(() => statusCommand(global())));

  program
    .command('trigger')
    .description('sync now (a running engine picks it up at once)')
    .argument('<pipeline>')
    .option('--unit <unit>', 'only this unit')
    .option('--keys <keys>', 'only these record keys, comma-separated (a targeted refresh)')
    .action(
      act((pipeline: string, options: { unit?: string; keys?: string }) =>
        triggerCommand(pipeline, { ...global(), ...options }),
      ),
    );

  program
    .command('pause')
    .argument('<pipeline>')
    .option('--unit <unit>', 'only this unit')
    .option('--reason <text>', 'shown by status')
    .action(
      act((pipeline: string, options: { unit?: string; reason?: string }) =>
        pauseCommand(pipeline, { ...global(), ...options }),
      ),
    );

  program
    .command('resume')
    .description('resume paused units; they catch up at once')
    .argument('<pipeline>')
    .option('--unit <unit>', 'only this unit')
    .action(
      act((pipeline: string, options: { unit?: string }) =>
        resumeCommand(pipeline, { ...global(), ...options }),
      ),
    );

  program
    .command('reset')
    .description('forget cursors so the next run re-reads everything')
    .argument('<pipeline>')
    .option('--truncate', 'also empty the destination (sql) and forget its links')
    .action(
      act((pipeline: string, options: { truncate?: boolean }) =>
        resetCommand(pipeline, { ...global(), ...options }),
      ),
    );

  const deadLetters = program.command('dead-letters').description('records that kept failing');
  deadLetters
    .command('list')
    .option('--pipeline <name>')
    .action(
      act((options: { pipeline?: string }) => deadLettersListCommand({ ...global(), ...options })),
    );
  deadLetters
    .command('retry')
    .option('--pipeline <name>')
    .action(
      act((options: { pipeline?: string }) => deadLettersRetryCommand({ ...global(), ...options })),
    );

  registerCopyCommand(program, setExitCode);

  registerServeCommand(program, setExitCode);

  registerConflictsCommand(program, setExitCode);

  registerAuthCommand(program, setExitCode);

  registerTemporalCommands(program, setExitCode);

  return program;
}
