/** Pushes the one-change batch a live-fan-out round times (doc `live-<round>`), body drained. */
export async function pushLiveChange(
  url: string,
  headers: Record<string, string>,
  round: number,
): Promise<void> {
  const response = await fetch(`${url}/sync/push`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      client_id: 'bench',
      changes: [
        { collection: 'live', operation: 'upsert', doc_id: `live-${round}`, data: { round } },
      ],
    }),
  });
  await response.arrayBuffer();
}
