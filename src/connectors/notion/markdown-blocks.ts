import { richText } from './encode.js';

/** Notion accepts at most this many blocks per create or append request. */
const MAX_BLOCKS_PER_REQUEST = 100;
/** Rich text objects one block may hold. */
const MAX_PARTS_PER_BLOCK = 100;
/**
 * JSON bytes of one block's text, so a block always fits a request (500 KB in all): 2,000
 * characters of 3-byte UTF-8 text times 100 parts would not.
 */
const MAX_BLOCK_BYTES = 100_000;

export type Block = Record<string, unknown>;

/** One block of a type per run of text that fits a block; long text continues in the next. */
function textBlocks(type: string, text: string, extra: Record<string, unknown> = {}): Block[] {
  const blocks: Block[] = [];
  let parts: ReturnType<typeof richText> = [];
  let bytes = 0;
  const flush = () => {
    blocks.push({ object: 'block', type, [type]: { rich_text: parts, ...extra } });
    parts = [];
    bytes = 0;
  };
  for (const part of richText(text)) {
    const size = jsonBytes(part);
    if (
      parts.length > 0 &&
      (parts.length >= MAX_PARTS_PER_BLOCK || bytes + size > MAX_BLOCK_BYTES)
    ) {
      flush();
    }
    parts.push(part);
    bytes += size;
  }
  if (parts.length > 0 || blocks.length === 0) flush();
  return blocks;
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Turns markdown into Notion blocks: headings, bulleted and numbered items, to-dos, quotes,
 * fenced code, dividers and paragraphs. Inline formatting is kept as plain text.
 */
export function markdownToBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length > 0) blocks.push(...textBlocks('paragraph', paragraph.join('\n')));
    paragraph = [];
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!;
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence) {
      flush();
      const code: string[] = [];
      while (index + 1 < lines.length && !/^```\s*$/.test(lines[index + 1]!)) {
        code.push(lines[++index]!);
      }
      index++;
      blocks.push(...textBlocks('code', code.join('\n'), { language: codeLanguage(fence[1]) }));
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const todo = /^\s*[-*]\s+\[( |x|X)\]\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    const quote = /^>\s?(.*)$/.exec(line);
    if (heading) {
      flush();
      blocks.push(...textBlocks(`heading_${heading[1]!.length}`, heading[2]!));
    } else if (/^(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      flush();
      blocks.push({ object: 'block', type: 'divider', divider: {} });
    } else if (todo) {
      flush();
      blocks.push(...textBlocks('to_do', todo[2]!, { checked: todo[1] !== ' ' }));
    } else if (bullet) {
      flush();
      blocks.push(...textBlocks('bulleted_list_item', bullet[1]!));
    } else if (numbered) {
      flush();
      blocks.push(...textBlocks('numbered_list_item', numbered[1]!));
    } else if (quote) {
      flush();
      blocks.push(...textBlocks('quote', quote[1]!));
    } else if (line.trim() === '') {
      flush();
    } else {
      paragraph.push(line);
    }
  }
  flush();
  return blocks;
}

/**
 * Splits blocks into requests Notion accepts: at most 100 blocks and `maxBytes` of JSON each.
 * The first request (the page create) has `firstBytes` left after its properties; when that
 * is too little for the first block, it carries none.
 */
export function requestBatches(
  blocks: readonly Block[],
  maxBytes: number,
  firstBytes = maxBytes,
): Block[][] {
  const out: Block[][] = [[]];
  let budget = firstBytes;
  let used = 0;
  for (const block of blocks) {
    const size = jsonBytes(block);
    const current = out.at(-1)!;
    if (current.length >= MAX_BLOCKS_PER_REQUEST || used + size > budget) {
      if (current.length > 0 || out.length === 1) out.push([]);
      budget = maxBytes;
      used = 0;
    }
    out.at(-1)!.push(block);
    used += size;
  }
  return out;
}

/** Splits items into fixed-size batches. */
export function batches<T>(items: readonly T[], size = MAX_BLOCKS_PER_REQUEST): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size)
    out.push(items.slice(start, start + size));
  return out;
}

const LANGUAGES = new Set([
  'bash',
  'c',
  'css',
  'go',
  'html',
  'java',
  'javascript',
  'json',
  'markdown',
  'python',
  'ruby',
  'rust',
  'shell',
  'sql',
  'typescript',
  'yaml',
]);

function codeLanguage(tag: string | undefined): string {
  const aliases: Record<string, string> = {
    ts: 'typescript',
    js: 'javascript',
    sh: 'shell',
    py: 'python',
    yml: 'yaml',
  };
  const name = aliases[tag ?? ''] ?? tag ?? '';
  return LANGUAGES.has(name) ? name : 'plain text';
}
