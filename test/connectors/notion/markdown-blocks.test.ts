import { describe, expect, it } from 'vitest';
import { markdownToBlocks, richText } from '../../../src/connectors/notion/index.js';

const text = (block: Record<string, unknown>) =>
  (
    (block[block.type as string] as { rich_text: Array<{ text: { content: string } }> })
      .rich_text ?? []
  )
    .map((part) => part.text.content)
    .join('');

describe('markdown to Notion blocks', () => {
  it('maps headings, lists, to-dos, quotes, code and dividers, and joins paragraph lines', () => {
    const blocks = markdownToBlocks(
      [
        '# Title',
        'First line',
        'second line',
        '',
        '## Install',
        '- one',
        '* two',
        '1. first',
        '- [x] done',
        '- [ ] open',
        '> quoted',
        '---',
        '```ts',
        'const a = 1;',
        '',
        'const b = 2;',
        '```',
      ].join('\n'),
    );
    expect(blocks.map((block) => block.type)).toEqual([
      'heading_1',
      'paragraph',
      'heading_2',
      'bulleted_list_item',
      'bulleted_list_item',
      'numbered_list_item',
      'to_do',
      'to_do',
      'quote',
      'divider',
      'code',
    ]);
    expect(text(blocks[1]!)).toBe('First line\nsecond line');
    expect((blocks[6]!.to_do as { checked: boolean }).checked).toBe(true);
    expect((blocks[7]!.to_do as { checked: boolean }).checked).toBe(false);
    expect(text(blocks[10]!)).toBe('const a = 1;\n\nconst b = 2;');
    expect((blocks[10]!.code as { language: string }).language).toBe('typescript');
  });

  it('splits text at 2,000 characters without cutting a surrogate pair', () => {
    const emoji = '😀';
    const value = `${'a'.repeat(1999)}${emoji}${'b'.repeat(10)}`;
    const parts = richText(value).map((part) => part.text.content);
    expect(parts.map((part) => part.length)).toEqual([1999, 12]);
    expect(parts.join('')).toBe(value);
    expect(richText('')).toEqual([]);
  });
});
