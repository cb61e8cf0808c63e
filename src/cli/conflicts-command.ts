import type { Command } from 'commander';
import { KeepsyncError, type NeutralValue } from '../model/index.js';
import type { ConflictDecision, ConflictState } from '../twoway/index.js';
import type { GlobalOptions } from './context.js';
import { EXIT } from './exit-codes.js';
import { formatTime, printJson, printTable } from './output.js';

const TAKES = ['left', 'right', 'value'];

/** `keepsync conflicts list|resolve`: two-way conflicts kept for a person to decide. */
export function registerConflictsCommand(
  program: Command,
  setExitCode: (code: number) => void,
): void {
  const global = () => program.opts<GlobalOptions>();
  const conflicts = program
    .command('conflicts')
    .description('two-way conflicts waiting for a decision');
  conflicts
    .command('list')
    .description('open and decided conflicts (--all: resolved ones too)')
    .option('--task <name>', 'only this two-way task')
    .option('--all', 'include resolved conflicts')
    .action(async (options: { task?: string; all?: boolean }) => {
      setExitCode(await listCommand({ ...global(), ...options }));
    });
  conflicts
    .command('resolve')
    .description('decide a conflict; the next run writes the value to both sides')
    .argument('<id>', 'conflict id, from `conflicts list`')
    .argument('[json]', 'with --take value: the value, as JSON (e.g. \'"Buy milk"\')')
    .requiredOption('--take <choice>', 'left, right, or value')
    .action(async (id: string, json: string | undefined, options: { take: string }) => {
      setExitCode(await resolveCommand(id, json, { ...global(), ...options }));
    });
}

async function listCommand(
  options: GlobalOptions & { task?: string; all?: boolean },
): Promise<number> {
  const { openContext } = await import('./context.js');
  const { listConflicts } = await import('../twoway/index.js');
  const context = await openContext(options);
  try {
    const states: ConflictState[] = options.all
      ? ['open', 'decided', 'resolved']
      : ['open', 'decided'];
    const rows = await listConflicts(context.store, { task: options.task, states });
    if (options.json) {
      printJson(rows);
      return EXIT.ok;
    }
    printTable(
      [
        'id',
        'task',
        'left key',
        'right key',
        'field',
        'left',
        'right',
        'base',
        'detected',
        'state',
      ],
      rows.map((row) => [
        row.id,
        row.task,
        row.leftKey ?? '-',
        row.rightKey ?? '-',
        row.field,
        short(row.leftValue),
        short(row.rightValue),
        short(row.baseValue),
        formatTime(row.detectedAt),
        row.decision ? `${row.state}: ${describe(row.decision)}` : row.state,
      ]),
    );
    return EXIT.ok;
  } finally {
    await context.store.close();
  }
}

async function resolveCommand(
  idText: string,
  json: string | undefined,
  options: GlobalOptions & { take: string },
): Promise<number> {
  const id = Number(idText);
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected a conflict id, got ${JSON.stringify(idText)}`,
    );
  }
  if (!TAKES.includes(options.take)) {
    throw new KeepsyncError(
      'CONFIG_INVALID',
      `Expected --take to be left, right or value, got ${JSON.stringify(options.take)}`,
    );
  }
  let decision: ConflictDecision;
  if (options.take === 'value') {
    if (json === undefined) {
      throw new KeepsyncError('CONFIG_INVALID', 'Expected a JSON value after --take value');
    }
    let value: NeutralValue;
    try {
      value = JSON.parse(json) as NeutralValue;
    } catch (error) {
      throw new KeepsyncError(
        'CONFIG_INVALID',
        `Expected the value to be JSON (quote strings: '"text"'), got ${json}`,
        { cause: error },
      );
    }
    decision = { take: 'value', value };
  } else {
    decision = { take: options.take as 'left' | 'right' };
  }
  const { openContext } = await import('./context.js');
  const { resolveConflict } = await import('../twoway/index.js');
  const context = await openContext(options);
  try {
    const row = await resolveConflict(context.store, id, decision);
    if (options.json) printJson(row);
    else {
      process.stdout.write(
        `Conflict ${id} (${row.task}, field ${row.field}) decided: ${describe(decision)}; the next run of ${row.task} applies it\n`,
      );
    }
    return EXIT.ok;
  } finally {
    await context.store.close();
  }
}

function describe(decision: ConflictDecision): string {
  return decision.take === 'value' ? `value ${short(decision.value)}` : `take ${decision.take}`;
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}
