/** Median of `values` (NaN when empty). */
export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

/** The `p`th percentile (nearest rank on the sorted values; NaN when empty). */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** `items` rotated by `round`, so no candidate always runs first (page cache, CPU frequency). */
export function rotate<T>(items: readonly T[], round: number): T[] {
  const k = round % Math.max(1, items.length);
  return [...items.slice(k), ...items.slice(0, k)];
}

export const MiB = 1024 * 1024;
