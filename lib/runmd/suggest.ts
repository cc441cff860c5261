/**
 * Picks the known name closest to a misspelt one, for "did you mean" hints
 * such as `unknown plugin ".pul" (did you mean ".pull"?)`.
 *
 * Distance is counted in single-character edits (insert, delete, replace, or
 * swap two neighbours), ignoring case. Like rustc's hints, a candidate must be
 * within a third of the name's length (at least one edit), so short typos are
 * caught but unrelated names are never offered. Ties go to the earlier entry
 * of `known`.
 *
 * @returns the closest known name, or undefined when `name` is itself known or
 *          nothing is close enough
 */
export function suggest(name: string, known: readonly string[]): string | undefined {
  if (known.includes(name)) return undefined;
  const limit = Math.floor(Math.max(name.length, 3) / 3);
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Optimal-string-alignment distance: Levenshtein plus adjacent swaps, since
 * `.lgoin` for `.login` is as common a slip as a missing letter.
 */
export function editDistance(a: string, b: string): number {
  // d[i][j] is the distance between the first i chars of a and the first j of b.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const get = (i: number, j: number): number => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(get(i - 1, j) + 1, get(i, j - 1) + 1, get(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(get(i, j), get(i - 2, j - 2) + 1);
      }
    }
  }
  return get(a.length, b.length);
}
