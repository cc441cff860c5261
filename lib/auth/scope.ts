/**
 * Token scopes (distribution `docs/spec/auth/scope.md`):
 * `<type>:<name>:<actions>`, e.g. `repository:library/redis:pull`.
 */
export interface Scope {
  type: string;
  /** May itself contain `:` (a registry host with a port: `localhost:5000/app`). */
  name: string;
  actions: string[];
}

/** The scope a pull of `repository` needs. */
export function repositoryScope(repository: string, actions: readonly string[] = ['pull']): string {
  return formatScope({ type: 'repository', name: repository, actions: [...actions] });
}

/**
 * The scopes a write needs, as Distribution checks them (registry/handlers
 * `appendAccessRecords`): `pull,push` for POST, PUT and PATCH (and the status
 * GET of an upload), `delete` for DELETE, and for a cross-repository mount
 * also `pull` on the repository the blob comes from, without which the
 * registry answers 401.
 */
export function writeScopes(method: string, repository: string, mountFrom?: string): string[] {
  if (method.toUpperCase() === 'DELETE') return [repositoryScope(repository, ['delete'])];
  const scopes = [repositoryScope(repository, ['pull', 'push'])];
  if (mountFrom !== undefined) scopes.push(repositoryScope(mountFrom, ['pull']));
  return scopes;
}

export function formatScope(scope: Scope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}

/**
 * Parses one scope. The type ends at the first `:` and the actions start
 * after the last one, so a name with a port survives intact.
 *
 * @throws Error when the text has fewer than three parts.
 */
export function parseScope(text: string): Scope {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first || last === text.length - 1) throw new Error(`"${text}" is not a scope of the form type:name:actions`);
  return { type: text.slice(0, first), name: text.slice(first + 1, last), actions: text.slice(last + 1).split(',') };
}

/**
 * Joins the scopes one token request asks for, merging actions on the same
 * resource and sorting, so equal sets give equal cache keys.
 */
export function normalizeScopes(scopes: readonly string[]): string[] {
  const merged = new Map<string, Set<string>>();
  for (const text of scopes.flatMap((s) => s.split(' ')).filter((s) => s !== '')) {
    const scope = parseScope(text);
    const key = `${scope.type}:${scope.name}`;
    const actions = merged.get(key) ?? new Set<string>();
    for (const action of scope.actions) actions.add(action);
    merged.set(key, actions);
  }
  return [...merged].map(([key, actions]) => `${key}:${[...actions].sort().join(',')}`).sort();
}
