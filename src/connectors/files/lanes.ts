/**
 * Maps items with a few concurrent lanes: items with the same lane key run one after another,
 * in order, so two writes to one file never race; results keep the order of the items.
 */
export async function mapInLanes<T, R>(
  items: readonly T[],
  laneKey: (item: T) => string,
  run: (item: T) => Promise<R>,
  lanes = 8,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const queues: number[][] = Array.from({ length: lanes }, () => []);
  items.forEach((item, index) => {
    queues[hash(laneKey(item)) % lanes]!.push(index);
  });
  await Promise.all(
    queues.map(async (queue) => {
      for (const index of queue) results[index] = await run(items[index]!);
    }),
  );
  return results;
}

/** FNV-1a: spreads names evenly over lanes. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193);
  }
  return value >>> 0;
}
