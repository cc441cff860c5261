/**
 * The `rel="next"` target of a `Link` header (RFC 8288), as the referrers
 * API paginates (distribution-spec, "Listing Referrers"). Relative targets
 * resolve against the URL that answered.
 *
 * @returns the absolute URL, or undefined when there is no next page
 */
export function nextPageUrl(link: string | string[] | undefined, base: string): URL | undefined {
  const values = Array.isArray(link) ? link : link === undefined ? [] : [link];
  for (const value of values) {
    for (const match of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]+)*)/g)) {
      const [, target, params] = match;
      if (target === undefined || params === undefined) continue;
      const rels = /;\s*rel\s*=\s*"?([^";,]+)"?/i.exec(params)?.[1]?.toLowerCase().split(/\s+/) ?? [];
      if (!rels.includes('next')) continue;
      try {
        return new URL(target, base);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
