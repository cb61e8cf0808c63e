import { describe, expect, it } from 'vitest';
import * as yaml from 'yaml';
import { parseText, serializeSortedValue } from '../../../src/connectors/files/index.js';
import { PlainYaml } from '../../../src/connectors/files/plain-yaml.js';
import type { JsonValue } from '../../../src/model/index.js';

/** The compat tags serializeSortedValue writes with: YAML 1.1's, and its `=` value key. */
const compat = [
  ...new yaml.Schema({ schema: 'yaml-1.1' }).tags,
  { tag: 'tag:yaml.org,2002:value', default: true, test: /^=$/, resolve: (text: string) => text },
] as yaml.Tags;
const plain = new PlainYaml(new yaml.Document(null, { compat }).schema);

/** What the yaml package writes for a value: the bytes the fast path must reproduce. */
function yamlPackageText(value: JsonValue): string {
  const sorted = (item: JsonValue): unknown => {
    if (Array.isArray(item)) return item.map(sorted);
    if (item !== null && typeof item === 'object') {
      const mapping = item as { readonly [key: string]: JsonValue };
      return new Map(
        Object.keys(mapping)
          .sort()
          .map((key) => [key, sorted(mapping[key]!)]),
      );
    }
    return item;
  };
  return yaml.stringify(sorted(value), {
    lineWidth: 0,
    minContentWidth: 0,
    aliasDuplicateObjects: false,
    compat,
  });
}

/** A small seeded generator, so a failure is the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

/** Words that look like something else in YAML 1.1 or 1.2, hrefs, and ordinary text. */
const WORDS = [
  ...['yes', 'No', 'on', 'OFF', 'y', 'n', 'true', 'False', 'null', '~', 'NULL', '.inf', '-.Inf'],
  ...['.nan', '2024-01-01', '2024-01-01T00:00:05.000Z', '2026-1-2t3:04:05', '1:20', '0777'],
  ...['0x1F', '0b101', '1_000', '+12', '1.', '1e3', '6.8523015e+5', '<<', '=', '---', '...'],
  ...['%x', '-', '?', '', 'hello', 'http://h:1/a?b=c', '/api/items/1', 'Item number 5'],
  ...['A sentence.', '-1', '0', '12', '1.5', '-0.5', '  ', 'a b', 'v1.0', '12:30 meeting'],
];
const CHARACTERS = [...'abZ019 :-?#._/"\'\\[]{},&*!|>%@`=+~eExoynNt\t<', 'é', '\n', '😀'];
const NUMBERS = [0, 1, -1, 1.5, -0, 1e21, 1e-7, 1.2345678901234569e23, 0.1, -2.5e-10, 4096];

function values(seed: number, count: number): JsonValue[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const text = (): string => {
    if (next() < 0.5) return pick(WORDS) + (next() < 0.3 ? pick(WORDS) : '');
    return Array.from({ length: Math.floor(next() * 8) }, () => pick(CHARACTERS)).join('');
  };
  const value = (depth: number): JsonValue => {
    const kind = next();
    if (depth > 3 || kind < 0.55) {
      const scalar = next();
      if (scalar < 0.6) return text();
      if (scalar < 0.75) return pick(NUMBERS);
      if (scalar < 0.88) return next() < 0.5;
      return null;
    }
    if (kind < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(next() * 5) }, () => [text(), value(depth + 1)]),
    );
  };
  return Array.from({ length: count }, () =>
    // Through JSON, as a copy's resources are: -0 and all.
    JSON.parse(
      JSON.stringify(
        Object.fromEntries(
          Array.from({ length: 1 + Math.floor(next() * 6) }, () => [text(), value(0)]),
        ),
      ),
    ),
  );
}

/** The shape a copy writes most: a HAL resource with dates, links and plain text. */
const RESOURCE: JsonValue = {
  id: 1234,
  title: 'Item number 1234',
  description: 'A resource with a sentence of text in it.',
  stars: 1234,
  language: 'TypeScript',
  archived: false,
  ratio: 0.25,
  updated: '2024-01-01T00:20:34.000Z',
  tags: ['a', 'yes', '2024-01-01'],
  owner: null,
  matrix: [[1, 2], [{ a: 1, b: [] }], {}],
  _links: {
    self: { href: 'http://127.0.0.1:8080/api/items/1234' },
    group: { href: '/api/groups/34' },
  },
};

// The two 5,000-value comparisons take ~10 s alone and past 30 s on a loaded 2-core machine.
describe('the fast path for the YAML keepsync writes', () => {
  it('writes exactly the bytes the yaml package writes, for every value it takes', () => {
    let taken = 0;
    for (const value of values(7, 5000)) {
      const expected = yamlPackageText(value);
      const fast = plain.stringify(value);
      if (fast !== undefined) {
        taken++;
        expect(fast, JSON.stringify(value)).toBe(expected);
      }
      expect(serializeSortedValue(value, 'yaml'), JSON.stringify(value)).toBe(expected);
    }
    // The generator gives the fast path plenty to prove itself on, and plenty to refuse.
    expect(taken).toBeGreaterThan(500);
    expect(taken).toBeLessThan(4500);
  }, 120_000);

  it('reads every text back as the yaml package does, and takes only what it would write', () => {
    let taken = 0;
    for (const value of values(11, 5000)) {
      const text = yamlPackageText(value);
      const fast = plain.parse(text);
      if (fast !== undefined) {
        taken++;
        expect(fast, text).toStrictEqual(yaml.parse(text));
      }
      expect(parseText(text, 'yaml', 'x.yaml'), text).toStrictEqual(yaml.parse(text));
    }
    expect(taken).toBeGreaterThan(500);
  }, 120_000);

  it('takes a typical resource both ways', () => {
    const text = yamlPackageText(RESOURCE);
    expect(plain.stringify(RESOURCE)).toBe(text);
    expect(plain.parse(text)).toStrictEqual(RESOURCE);
    expect(text).toContain('updated: "2024-01-01T00:20:34.000Z"\n');
    expect(text).toContain('  - "yes"\n');
  });

  it('leaves every other spelling of the same data to the yaml package', () => {
    const variants = [
      'b: 1\na: 2\n', // unsorted
      'a: 1 # note\n', // a comment
      "a: 'x'\n", // single quotes
      'a: {b: 1}\n', // flow style
      'a: yes\n', // a YAML 1.1 lookalike, plain: a string to YAML 1.2
      'a: 1.0\n', // a number keepsync writes as 1
      'a: 0x1F\n',
      'a: ~\n',
      'a:\n    b: 1\n', // another indent
      'a:\n- 1\n', // a sequence not indented
      '"a": 1\n', // a key quoted that needs no quotes
      '---\na: 1\n',
      'a: 1\r\n',
      'a: 1', // no final newline
    ];
    for (const text of variants) {
      expect(plain.parse(text), text).toBeUndefined();
      expect(parseText(text, 'yaml', 'x.yaml'), text).toStrictEqual(yaml.parse(text));
    }
  });

  it('still reports a syntax error of a file, naming its line', () => {
    expect(() => parseText('a: 1\na: 2\n', 'yaml', 'x.yaml')).toThrow(/x\.yaml line 2/);
    expect(() => parseText('a: 1\n b: [\n', 'yaml', 'x.yaml')).toThrow(/x\.yaml line/);
  });
});
