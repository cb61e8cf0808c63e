import { KeepsyncError } from '../model/index.js';
import type { CopyChange } from './endpoint.js';
import { compareResources } from './resource.js';

/**
 * Groups changes in layers so that a resource comes after every resource it links to (Kahn's
 * algorithm, layer by layer, each layer sorted by type and id). Links to resources that are
 * not being written are already satisfied. A cycle is an error that names its members.
 */
export function orderByDependencies(
  changes: readonly CopyChange[],
  target: string,
): CopyChange[][] {
  const byUri = new Map<string, number>();
  changes.forEach((change, index) => {
    if (change.resource.uri !== undefined) byUri.set(normalise(change.resource.uri), index);
  });
  const dependencies = changes.map((change, index) => {
    const found = new Set<number>();
    for (const href of change.resource.dependsOn) {
      const dependency = byUri.get(normalise(href));
      if (dependency !== undefined && dependency !== index) found.add(dependency);
    }
    return [...found];
  });
  const dependents: number[][] = changes.map(() => []);
  const waiting = dependencies.map((found) => found.length);
  dependencies.forEach((found, index) => {
    for (const dependency of found) dependents[dependency]!.push(index);
  });

  const layers: CopyChange[][] = [];
  let ready = waiting.flatMap((count, index) => (count === 0 ? [index] : []));
  let placed = 0;
  while (ready.length > 0) {
    layers.push(
      ready
        .map((index) => changes[index]!)
        .sort((a, b) => compareResources(a.resource, b.resource)),
    );
    placed += ready.length;
    const next: number[] = [];
    for (const index of ready) {
      for (const dependent of dependents[index]!) {
        if (--waiting[dependent]! === 0) next.push(dependent);
      }
    }
    ready = next;
  }
  if (placed < changes.length) {
    const cycle = findCycle(dependencies, waiting).map((index) => changes[index]!.resource.key);
    throw new KeepsyncError(
      'DEPENDENCY_CYCLE',
      `Cannot order the writes to ${target}: the resources link to each other in a cycle, ${cycle.join(' -> ')}. A server needs what a resource links to first; break the cycle, or name the back-link relation child:* so it is not a dependency`,
    );
  }
  return layers;
}

/** A path around one cycle among the resources that could not be placed. */
function findCycle(dependencies: readonly number[][], waiting: readonly number[]): number[] {
  const start = waiting.findIndex((count) => count > 0);
  const path: number[] = [];
  const onPath = new Map<number, number>();
  let current = start;
  while (!onPath.has(current)) {
    onPath.set(current, path.length);
    path.push(current);
    // Every unplaced resource waits on at least one other unplaced resource.
    current = dependencies[current]!.find((dependency) => waiting[dependency]! > 0)!;
  }
  // Each member links to the next; the first is repeated at the end to close the loop.
  return [...path.slice(onPath.get(current)), current];
}

/** Trailing slashes do not make a different resource. */
function normalise(uri: string): string {
  return uri.length > 1 && uri.endsWith('/') ? uri.slice(0, -1) : uri;
}
