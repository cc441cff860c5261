import type { SourcePos } from '../runmd/ast';
import { parseDuration } from '../runmd/duration';
import { RunmdError } from '../runmd/errors';
import { DEFAULT_REFERRERS_CACHE } from './cache';
import type { LookupOptions } from './lookup';

/** An artifact type is a media type (`type/subtype+suffix`) or, like `dadi.image.v1`, a bare token. */
const ARTIFACT_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(?:\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*)?$/;

/**
 * Parses a `.discover` input: artifact types separated by commas or spaces,
 * plus the options `ttl=<duration>` (how long answers are reused, default
 * 30s) and `legacy-oras` (also ask the pre-OCI-1.1 ORAS path). No types at
 * all means every referrer.
 *
 * @throws RunmdError at `pos` for a malformed word
 */
export function parseDiscoverInput(input: string, pos: SourcePos): LookupOptions {
  const options: LookupOptions = { artifactTypes: [], legacyOras: false, ttlMs: DEFAULT_REFERRERS_CACHE.ttlMs };
  const types: string[] = [];
  for (const word of input.split(/[\s,]+/).filter((w) => w !== '')) {
    if (word === 'legacy-oras') options.legacyOras = true;
    else if (word.startsWith('ttl=')) options.ttlMs = parseDuration(word.slice(4), pos);
    else if (ARTIFACT_TYPE.test(word)) {
      if (!types.includes(word)) types.push(word);
    } else throw new RunmdError(pos, `"${word}" is not an artifact type (e.g. application/vnd.containerd.overlaybd.native.v1+json)`);
  }
  return { ...options, artifactTypes: types };
}
