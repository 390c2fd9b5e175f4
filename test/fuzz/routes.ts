// The route table, read from the server itself (as the robustness sweep reads it), so that the
// fuzz cases cover every route, routes added later included.

export interface Route {
  /** The fastify path, e.g. `/:org/:app/chatgroups/:group_id/users/:username`. */
  path: string;
  methods: string[];
  /** The path parameters other than org and app, in order. */
  params: string[];
}

/** Parses fastify's printRoutes({ commonPrefix: false }) tree into full paths and their methods. */
export function parseRoutes(tree: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (.+?) \(([^)]+)\)$/.exec(line) ?? /^((?:│ {3}| {4})*)[├└]── (.+)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const full = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = full;
    if (m[3]) {
      const params = [...full.matchAll(/:(\w+)/g)].map((p) => p[1]!).filter((p) => p !== 'org' && p !== 'app');
      routes.push({ path: full, methods: m[3].split(', '), params });
    }
  }
  return routes;
}

/** Every (method, route) pair of the table. */
export function endpoints(routes: Route[]): { method: string; route: Route }[] {
  return routes.flatMap((route) => route.methods.map((method) => ({ method, route })));
}

/** Methods that may change state; the known entities never appear in their paths or bodies. */
export const isMutating = (method: string): boolean => method !== 'GET' && method !== 'HEAD';
