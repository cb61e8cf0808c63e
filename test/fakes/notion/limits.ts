import type { FakeRequest } from '../fake-server.js';

/** The API version the fake models: databases hold data sources from this version on. */
export const NOTION_VERSION = '2025-09-03';

/** Notion's documented request limits. */
export const REQUEST_LIMITS = {
  /** Blocks in one `children` array. */
  childrenPerArray: 100,
  /** Block elements in one request, nested children counted. */
  blocksPerRequest: 1000,
  /** The whole JSON payload. */
  payloadBytes: 500 * 1000,
  /** Rich text objects in one array. */
  richTextItems: 100,
  /** Characters of one rich text object's content. */
  textLength: 2000,
} as const;

/** Why the request's Notion-Version header is refused on this path, or undefined. */
export function versionProblem(
  request: FakeRequest,
): { code: string; message: string } | undefined {
  const version = request.headers['notion-version'];
  if (version === undefined || version === '') {
    return {
      code: 'missing_version',
      message:
        'Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`.',
    };
  }
  // Before 2025-09-03 there were no data source endpoints; the fake serves no other shape.
  if (String(version) < NOTION_VERSION && request.path.startsWith('/v1/data_sources')) {
    return { code: 'invalid_request_url', message: 'Invalid request URL.' };
  }
  return undefined;
}

/** The validation error text for a request body over the payload limit, or undefined. */
export function payloadProblem(body: unknown): string | undefined {
  const bytes = Buffer.byteLength(JSON.stringify(body ?? {}), 'utf8');
  return bytes > REQUEST_LIMITS.payloadBytes
    ? `Request body too large: ${bytes} bytes, should be ≤ ${REQUEST_LIMITS.payloadBytes}.`
    : undefined;
}

/**
 * The validation error text for blocks that break a limit (children per array, block elements
 * per request, rich text items per block, text length), or undefined.
 */
export function blocksProblem(
  children: readonly unknown[],
  path = 'body.children',
): string | undefined {
  let total = 0;
  const visit = (blocks: readonly unknown[], at: string): string | undefined => {
    if (blocks.length > REQUEST_LIMITS.childrenPerArray) {
      return `${at}.length should be ≤ \`${REQUEST_LIMITS.childrenPerArray}\`, instead was \`${blocks.length}\`.`;
    }
    for (const [index, block] of blocks.entries()) {
      total++;
      const type = (block as { type?: string }).type ?? '';
      const content = (block as Record<string, { rich_text?: unknown[]; children?: unknown[] }>)[
        type
      ];
      const richText = content?.rich_text ?? [];
      const where = `${at}[${index}].${type}`;
      if (richText.length > REQUEST_LIMITS.richTextItems) {
        return `${where}.rich_text.length should be ≤ \`${REQUEST_LIMITS.richTextItems}\`, instead was \`${richText.length}\`.`;
      }
      for (const [part, item] of richText.entries()) {
        const length = (item as { text?: { content?: string } }).text?.content?.length ?? 0;
        if (length > REQUEST_LIMITS.textLength) {
          return `${where}.rich_text[${part}].text.content.length should be ≤ \`${REQUEST_LIMITS.textLength}\`, instead was \`${length}\`.`;
        }
      }
      const nested = content?.children;
      if (nested) {
        const problem = visit(nested, `${where}.children`);
        if (problem) return problem;
      }
    }
    return undefined;
  };
  const problem = visit(children, path);
  if (problem) return problem;
  return total > REQUEST_LIMITS.blocksPerRequest
    ? `${path} holds ${total} block elements, should be ≤ \`${REQUEST_LIMITS.blocksPerRequest}\`.`
    : undefined;
}
