/**
 * The subset of JQL the Jira fake understands: AND/OR/NOT, parentheses, `=`, `!=`, `<`, `<=`,
 * `>`, `>=`, `in`, `not in`, quoted and bare values, relative dates (`-15m`), and ORDER BY.
 * Dates are read at minute precision in the searching user's time zone, as Jira does.
 */
export type JqlValue = string | number;

export interface JqlIssueView {
  /** The value of a JQL field for an issue: a string, number (dates: epoch ms) or list. */
  valueOf(field: string): JqlValue | readonly JqlValue[] | null;
}

export type JqlPredicate = (issue: JqlIssueView) => boolean;

export interface JqlQuery {
  /** `null` when the query has no restriction (an unbounded query). */
  readonly where: JqlPredicate | null;
  readonly orderBy: ReadonlyArray<{ field: string; direction: 'ASC' | 'DESC' }>;
}

export class JqlError extends Error {}

const FIELDS = new Map([
  ['project', 'project'],
  ['id', 'id'],
  ['key', 'key'],
  ['issuekey', 'key'],
  ['updated', 'updated'],
  ['updateddate', 'updated'],
  ['created', 'created'],
  ['createddate', 'created'],
  ['labels', 'labels'],
  ['status', 'status'],
  ['issuetype', 'issuetype'],
  ['type', 'issuetype'],
  ['priority', 'priority'],
]);
const DATE_FIELDS = new Set(['updated', 'created']);

type Token = { kind: 'word' | 'string' | 'op' | 'punct'; text: string };

function tokenize(jql: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(!=|>=|<=|[=<>~])|([(),])|([^\s"'(),=<>!~]+))/y;
  let match: RegExpExecArray | null;
  let at = 0;
  while (at < jql.length) {
    if (/^\s*$/.test(jql.slice(at))) break;
    pattern.lastIndex = at;
    match = pattern.exec(jql);
    if (!match)
      throw new JqlError(`Error in the JQL Query: unexpected character at position ${at}.`);
    at = pattern.lastIndex;
    if (match[1] !== undefined || match[2] !== undefined) {
      tokens.push({ kind: 'string', text: (match[1] ?? match[2])!.replace(/\\(.)/g, '$1') });
    } else if (match[3]) tokens.push({ kind: 'op', text: match[3] });
    else if (match[4]) tokens.push({ kind: 'punct', text: match[4] });
    else tokens.push({ kind: 'word', text: match[5]! });
  }
  return tokens;
}

/** Parses JQL for a user in `timeZone`, with `now` for relative dates. */
export function parseJql(jql: string, timeZone: string, now: number): JqlQuery {
  const tokens = tokenize(jql);
  let position = 0;
  const peek = () => tokens[position];
  const isWord = (text: string) => peek()?.kind === 'word' && peek()!.text.toLowerCase() === text;
  const expect = (text: string) => {
    const token = tokens[position++];
    if (token?.text.toLowerCase() !== text) {
      throw new JqlError(
        `Error in the JQL Query: Expecting '${text}' but got '${token?.text ?? 'end of query'}'.`,
      );
    }
  };

  function value(field: string): JqlValue {
    const token = tokens[position++];
    if (!token || token.kind === 'op' || token.kind === 'punct') {
      throw new JqlError(`Error in the JQL Query: Expecting a value for field '${field}'.`);
    }
    if (DATE_FIELDS.has(field)) return dateValue(token.text, timeZone, now);
    return token.text;
  }

  function clause(): JqlPredicate {
    const token = tokens[position++];
    if (token?.kind !== 'word')
      throw new JqlError(
        `Error in the JQL Query: Expecting a field name but got '${token?.text ?? 'end of query'}'.`,
      );
    const field = FIELDS.get(token.text.toLowerCase());
    if (!field) {
      throw new JqlError(
        `Field '${token.text}' does not exist or you do not have permission to view it.`,
      );
    }
    let negate = false;
    if (isWord('not')) {
      position++;
      negate = true;
    }
    if (isWord('in')) {
      position++;
      expect('(');
      const values: JqlValue[] = [value(field)];
      while (peek()?.text === ',') {
        position++;
        values.push(value(field));
      }
      expect(')');
      return (issue) =>
        values.some((candidate) => matches(issue.valueOf(field), '=', candidate)) !== negate;
    }
    if (negate) throw new JqlError("Error in the JQL Query: Expecting 'in' after 'not'.");
    const op = tokens[position++];
    if (op?.kind !== 'op' || op.text === '~') {
      throw new JqlError(`Error in the JQL Query: Expecting an operator after '${token.text}'.`);
    }
    const operand = value(field);
    return (issue) => matches(issue.valueOf(field), op.text, operand);
  }

  function factor(): JqlPredicate {
    if (isWord('not')) {
      position++;
      const inner = factor();
      return (issue) => !inner(issue);
    }
    if (peek()?.text === '(') {
      position++;
      const inner = expression();
      expect(')');
      return inner;
    }
    return clause();
  }

  function term(): JqlPredicate {
    let left = factor();
    while (isWord('and')) {
      position++;
      const right = factor();
      const previous = left;
      left = (issue) => previous(issue) && right(issue);
    }
    return left;
  }

  function expression(): JqlPredicate {
    let left = term();
    while (isWord('or')) {
      position++;
      const right = term();
      const previous = left;
      left = (issue) => previous(issue) || right(issue);
    }
    return left;
  }

  const where = tokens.length > 0 && !isWord('order') ? expression() : null;
  const orderBy: Array<{ field: string; direction: 'ASC' | 'DESC' }> = [];
  if (isWord('order')) {
    position++;
    expect('by');
    do {
      if (peek()?.text === ',') position++;
      const name = tokens[position++]?.text ?? '';
      const field = FIELDS.get(name.toLowerCase());
      if (!field) throw new JqlError(`Not able to sort using field '${name}'.`);
      let direction: 'ASC' | 'DESC' = 'ASC';
      if (isWord('asc') || isWord('desc'))
        direction = tokens[position++]!.text.toUpperCase() as 'ASC' | 'DESC';
      orderBy.push({ field, direction });
    } while (peek()?.text === ',');
  }
  if (position < tokens.length) {
    throw new JqlError(
      `Error in the JQL Query: Unexpected '${tokens[position]!.text}' at the end of the query.`,
    );
  }
  return { where, orderBy };
}

function matches(
  actual: JqlValue | readonly JqlValue[] | null,
  op: string,
  expected: JqlValue,
): boolean {
  if (Array.isArray(actual)) {
    const has = actual.some((item) => equal(item, expected));
    return op === '!=' ? !has : op === '=' ? has : false;
  }
  const single = actual as JqlValue | null;
  if (single === null) return op === '!=';
  switch (op) {
    case '=':
      return equal(single, expected);
    case '!=':
      return !equal(single, expected);
    default: {
      const a = typeof single === 'number' ? single : Number(single);
      const b = typeof expected === 'number' ? expected : Number(expected);
      if (op === '>') return a > b;
      if (op === '>=') return a >= b;
      if (op === '<') return a < b;
      return a <= b;
    }
  }
}

function equal(a: JqlValue, b: JqlValue): boolean {
  return String(a).toLowerCase() === String(b).toLowerCase();
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A JQL date: `yyyy-MM-dd[ HH:mm]`, `yyyy/MM/dd[ HH:mm]` in the user's zone, or `-15m`. */
function dateValue(text: string, timeZone: string, now: number): number {
  const relative = /^([+-]?)(\d+)([mhdw])$/.exec(text);
  if (relative) {
    const ms = Number(relative[2]) * UNITS[relative[3]!]!;
    return relative[1] === '-' ? now - ms : now + ms;
  }
  const absolute = /^(\d{4})[-/](\d{2})[-/](\d{2})(?: (\d{2}):(\d{2}))?$/.exec(text);
  if (!absolute) {
    throw new JqlError(
      `Date value '${text}' for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'.`,
    );
  }
  const [, year, month, day, hour = '00', minute = '00'] = absolute;
  return zonedToUtc(
    Number(year),
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    timeZone,
  );
}

/** The epoch ms of a wall-clock time in a time zone. */
export function zonedToUtc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wall - offsetOf(wall, timeZone);
  guess = wall - offsetOf(guess, timeZone);
  return guess;
}

/** The zone's offset from UTC at `ms`, in ms. */
export function offsetOf(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(ms))
      .map((part) => [part.type, part.value]),
  );
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return asUtc - (ms - (ms % 1000));
}
