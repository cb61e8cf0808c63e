import type { NotionClient } from './client.js';
import type { Block } from './markdown-blocks.js';
import type { Request } from './requests.js';

/**
 * What a block shows, without the ids, times and defaults Notion adds: its type, its text
 * and the few settings markdown sets (a to-do's check, a code block's language).
 */
function signature(block: Block): string {
  const type = block.type as string;
  const content = (block[type] ?? {}) as {
    rich_text?: Array<{ plain_text?: string; text?: { content?: string } }>;
    checked?: boolean;
    language?: string;
  };
  const text = (content.rich_text ?? [])
    .map((part) => part.plain_text ?? part.text?.content ?? '')
    .join('');
  return JSON.stringify([
    type,
    text,
    content.checked ?? null,
    content.language ?? null,
    block.has_children === true,
  ]);
}

/** The ids and signatures of a page's top-level blocks, 100 per request. */
export async function currentBlocks(
  client: NotionClient,
  request: Request,
  pageId: string,
): Promise<Array<{ id: string; signature: string }>> {
  const blocks: Array<{ id: string; signature: string }> = [];
  let cursor: string | undefined;
  do {
    const page = await request(`GET /v1/blocks/${pageId}/children`, (token) =>
      client.listBlocks(token, pageId, cursor),
    );
    for (const block of page.results)
      blocks.push({ id: block.id as string, signature: signature(block) });
    cursor = page.has_more ? (page.next_cursor ?? undefined) : undefined;
  } while (cursor);
  return blocks;
}

/** Whether the page already shows these blocks, in this order. */
export function sameBlocks(
  current: ReadonlyArray<{ signature: string }>,
  wanted: readonly Block[],
): boolean {
  return (
    current.length === wanted.length &&
    wanted.every((block, index) => signature(block) === current[index]!.signature)
  );
}
