// Query strings. Every route reads its parameters from one parse with one rule: when a key is
// repeated (`sort=asc&sort=desc`), the first value wins — as the hosted service's servlet
// `getParameter` does. Keys are kept in objects without a prototype, so `constructor` or
// `__proto__` are plain parameter names. The `params` echo of list answers shows every value sent,
// as the hosted service does (`"params": {"limit": ["2"]}`).

function decode(part: string): string {
  const text = part.includes('+') ? part.replace(/\+/g, ' ') : part;
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    // A broken escape (`%E0%A4%A`) is kept as sent, as URLSearchParams does.
    return new URLSearchParams(`x=${part}`).get('x') ?? text;
  }
}

/** Calls `visit` for each key and value of a query string, in order. */
function eachPair(query: string, visit: (key: string, value: string) => void): void {
  if (query === '') return;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    visit(decode(eq < 0 ? pair : pair.slice(0, eq)), eq < 0 ? '' : decode(pair.slice(eq + 1)));
  }
}

/** fastify's querystring parser: the first value of each key, in a prototype-less object. */
export function parseQueryFirstWins(query: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  eachPair(query, (key, value) => {
    if (!(key in out)) out[key] = value;
  });
  return out;
}

/** Every value of every key, for the `params` echo. */
export function allQueryValues(url: string): Record<string, string[]> {
  const at = url.indexOf('?');
  const out = Object.create(null) as Record<string, string[]>;
  if (at < 0) return out;
  eachPair(url.slice(at + 1), (key, value) => {
    (out[key] ??= []).push(value);
  });
  return out;
}
