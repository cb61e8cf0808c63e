/**
 * One command, end to end: start a fake Luma calendar and a fake Asana, run the pipeline once
 * through the keepsync CLI, run it again (nothing changed: reads only, no writes), rename an
 * event in Luma and run a third time, print what each run did, stop the fakes.
 *
 *   node --import tsx examples/luma-to-asana/main.ts
 */
import { runExample } from '../support/run-example.js';
import { startFakes } from './fakes.js';

const EVENTS = 8;
let renamed = { name: '', gid: '' };

await runExample({
  dir: import.meta.dirname,
  start: () => startFakes(EVENTS),
  requests: (fakes) =>
    `Luma ${fakes.luma.server.requests.length} (${fakes.luma.limited} over its limit), ` +
    `Asana ${fakes.asana.server.count()} (${fakes.asana.server.writes()} writes)`,
  resetCounts: (fakes) => {
    fakes.luma.server.resetCounts();
    fakes.asana.server.resetCounts();
  },
  steps: [
    {
      title: `First run: ${EVENTS} Luma events -> Asana tasks (Luma paced at 200/min)`,
      report: (fakes) => {
        const tasks = fakes.asana.tasksOf(fakes.projectGid);
        renamed = { name: tasks[0]!.name, gid: tasks[0]!.gid };
        return `${tasks.length} tasks; e.g. "${tasks[0]!.name}" due ${tasks[0]!.due_on}`;
      },
    },
    { title: 'Second run, nothing changed' },
    {
      title: 'An event is renamed in Luma',
      change: (fakes) => {
        const event = [...fakes.luma.events.values()].find((e) => e.name === renamed.name)!;
        event.name = `${event.name} (moved online)`;
      },
      report: (fakes) => `the task is now "${fakes.asana.tasks.get(renamed.gid)!.name}"`,
    },
  ],
});
