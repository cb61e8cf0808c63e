import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerAuthCommand } from './auth-registration.js';
import { registerConflictsCommand } from './conflicts-command.js';
import { registerCopyCommand } from './copy-command.js';
import {
  addRunDashboardOptions,
  type RunDashboardFlags,
  registerDashboardCommand,
} from './dashboard-command.js';
import { registerLogsCommand } from './logs-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerTemporalCommands } from './temporal-command.js';
import { registerVerifyCommand } from './verify-command.js';

/** The commands' code loads when one runs, so `keepsync --help` starts without it. */
const commands = () => import('./commands.js');

/** package.json sits two folders up from both src/cli and dist/cli. */
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** The `keepsync` command line; each action resolves to an exit code. */
export function createProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('keepsync')
    .description('Durable, idempotent sync for records between the systems you use')
    .option('-c, --config <file>', 'config file (default: keepsync.config.ts)')
    .option('--json', 'machine-readable output on stdout')
    .version(version, '-V, --version', 'print the keepsync version')
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
    .action(act(async (options: { force?: boolean }) => (await commands()).initCommand(options)));

  addRunDashboardOptions(
    program
      .command('run')
      .description('run pipelines on their schedules (or once with --once)')
      .argument('[pipelines...]', 'only these pipelines')
      .option('--once', 'run every unit once, print what it did, and exit')
      .option('--times <n>', 'run every unit now, then on its schedule, n times in all; then exit')
      .option(
        '--full-refresh',
        're-read and re-write every record (repairs hand edits and deletes)',
      ),
  ).action(
    act(
      async (
        names: string[],
        options: { once?: boolean; times?: string; fullRefresh?: boolean } & RunDashboardFlags,
      ) => (await commands()).runCommand(names, { ...global(), ...options }),
    ),
  );

  program
    .command('status')
    .description('a table of every unit: last run, next run, errors')
    .action(act(async () => (await commands()).statusCommand(global())));

  program
    .command('runs')
    .description('the run history, newest first: what each run read and wrote, and its error')
    .argument('[pipeline]', 'only this pipeline')
    .option('--unit <unit>', 'only this unit')
    .option('--limit <n>', 'runs to show', '20')
    .action(
      act(async (pipeline: string | undefined, options: { unit?: string; limit: string }) =>
        (await commands()).runsCommand(pipeline, { ...global(), ...options }),
      ),
    );

  program
    .command('trigger')
    .description('sync now (a running engine picks it up at once)')
    .argument('<pipeline>')
    .option('--unit <unit>', 'only this unit')
    .option('--keys <keys>', 'only these record keys, comma-separated (a targeted refresh)')
    .action(
      act(async (pipeline: string, options: { unit?: string; keys?: string }) =>
        (await commands()).triggerCommand(pipeline, { ...global(), ...options }),
      ),
    );

  program
    .command('pause')
    .argument('<pipeline>')
    .option('--unit <unit>', 'only this unit')
    .option('--reason <text>', 'shown by status')
    .action(
      act(async (pipeline: string, options: { unit?: string; reason?: string }) =>
        (await commands()).pauseCommand(pipeline, { ...global(), ...options }),
      ),
    );

  program
    .command('resume')
    .description('resume paused units; they catch up at once')
    .argument('<pipeline>')
    .option('--unit <unit>', 'only this unit')
    .action(
      act(async (pipeline: string, options: { unit?: string }) =>
        (await commands()).resumeCommand(pipeline, { ...global(), ...options }),
      ),
    );

  program
    .command('reset')
    .description('forget cursors so the next run re-reads everything')
    .argument('<pipeline>')
    .option('--truncate', 'also empty the destination (sql) and forget its links')
    .action(
      act(async (pipeline: string, options: { truncate?: boolean }) =>
        (await commands()).resetCommand(pipeline, { ...global(), ...options }),
      ),
    );

  program
    .command('forget')
    .description('forget the stored state of a pipeline no longer in the config (e.g. renamed)')
    .argument('<pipeline>')
    .action(act(async (pipeline: string) => (await commands()).forgetCommand(pipeline, global())));

  const deadLetters = program.command('dead-letters').description('records that kept failing');
  deadLetters
    .command('list')
    .option('--pipeline <name>')
    .action(
      act(async (options: { pipeline?: string }) =>
        (await commands()).deadLettersListCommand({ ...global(), ...options }),
      ),
    );
  deadLetters
    .command('retry')
    .option('--pipeline <name>')
    .action(
      act(async (options: { pipeline?: string }) =>
        (await commands()).deadLettersRetryCommand({ ...global(), ...options }),
      ),
    );

  registerCopyCommand(program, setExitCode);

  registerServeCommand(program, setExitCode);

  registerConflictsCommand(program, setExitCode);

  registerDashboardCommand(program, setExitCode);

  registerLogsCommand(program, setExitCode);

  registerVerifyCommand(program, setExitCode);

  registerAuthCommand(program, setExitCode);

  registerTemporalCommands(program, setExitCode);

  return program;
}
