import { richText } from './encode.js';

/** Notion accepts at most this many blocks per create or append request. */
export const MAX_BLOCKS_PER_REQUEST = 100;

type Block = Record<string, unknown>;

function textBlock(type: string, text: string, extra: Record<string, unknown> = {}): Block {
  return { object: 'block', type, [type]: { rich_text: richText(text), ...extra } };
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
    if (paragraph.length > 0) blocks.push(textBlock('paragraph', paragraph.join('\n')));
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
      blocks.push(textBlock('code', code.join('\n'), { language: codeLanguage(fence[1]) }));
      continue;
    }
    const heading = /^(#{1,3})\s+(.*)$/.exec(line);
    const todo = /^\s*[-*]\s+\[( |x|X)\]\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    const quote = /^>\s?(.*)$/.exec(line);
    if (heading) {
      flush();
      blocks.push(textBlock(`heading_${heading[1]!.length}`, heading[2]!));
    } else if (/^(-{3,}|\*{3,}|_{3,})\s*$/.test(line)) {
      flush();
      blocks.push({ object: 'block', type: 'divider', divider: {} });
    } else if (todo) {
      flush();
      blocks.push(textBlock('to_do', todo[2]!, { checked: todo[1] !== ' ' }));
    } else if (bullet) {
      flush();
      blocks.push(textBlock('bulleted_list_item', bullet[1]!));
    } else if (numbered) {
      flush();
      blocks.push(textBlock('numbered_list_item', numbered[1]!));
    } else if (quote) {
      flush();
      blocks.push(textBlock('quote', quote[1]!));
    } else if (line.trim() === '') {
      flush();
    } else {
      paragraph.push(line);
    }
  }
  flush();
  return blocks;
}

/** Splits blocks into request-sized batches. */
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
