/** A node of the Atlassian Document Format (the rich text of Jira Cloud's REST v3). */
export interface AdfNode {
  readonly type: string;
  readonly text?: string;
  readonly content?: readonly AdfNode[];
  readonly attrs?: Readonly<Record<string, unknown>>;
  readonly version?: number;
}

const BLOCKS = new Set(['paragraph', 'heading', 'codeBlock', 'blockquote', 'rule', 'panel']);

/**
 * ADF as plain text: text nodes joined, a hard break as a newline, blocks separated by a
 * blank line, list items one per line. Mentions, emoji and inline cards keep their text.
 * `null` for an empty document.
 */
export function adfToText(document: unknown): string | null {
  if (document === null || document === undefined) return null;
  if (typeof document === 'string') return document;
  const parts: string[] = [];
  const walk = (node: AdfNode) => {
    switch (node.type) {
      case 'text':
        parts.push(node.text ?? '');
        return;
      case 'hardBreak':
        parts.push('\n');
        return;
      case 'mention':
      case 'emoji':
      case 'status':
        parts.push(String(node.attrs?.text ?? ''));
        return;
      case 'inlineCard':
        parts.push(String(node.attrs?.url ?? ''));
        return;
    }
    for (const child of node.content ?? []) walk(child);
    if (BLOCKS.has(node.type)) parts.push('\n\n');
    else if (node.type === 'listItem') parts.push('\n');
  };
  walk(document as AdfNode);
  const text = parts
    .join('')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return text === '' ? null : text;
}

/**
 * Text as ADF: a paragraph per block (blank-line separated), single newlines as hard
 * breaks, so `adfToText(textToAdf(text))` gives the text back.
 */
export function textToAdf(text: string): AdfNode {
  const blocks = text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((block) => block.trim())
    .filter((block) => block !== '');
  return {
    type: 'doc',
    version: 1,
    content: blocks.map((block) => ({
      type: 'paragraph',
      content: block.split('\n').flatMap((line, index): AdfNode[] => {
        const text: AdfNode[] = line === '' ? [] : [{ type: 'text', text: line }];
        return index === 0 ? text : [{ type: 'hardBreak' }, ...text];
      }),
    })),
  };
}
