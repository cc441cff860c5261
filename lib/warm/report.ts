/**
 * What a warm job reports: the JSON of `GET /_lifec/warm/<id>`, the warm
 * jobs of `/_lifec/status.json`, and what `lifec-mirror warm` draws.
 * docs/operations.md documents every field.
 */

/** `queued` until the mirror listens, then `resolving` (manifests), `fetching` (blobs), and an end state. */
export type WarmImageState = 'queued' | 'resolving' | 'fetching' | 'done' | 'failed' | 'canceled';

/** One manifest, config or layer of an image. */
export interface WarmItemReport {
  kind: 'manifest' | 'config' | 'layer';
  digest: string;
  size: number;
  /** Bytes read through the mirror so far (the whole size once done). */
  doneBytes: number;
  state: 'pending' | 'fetching' | 'done' | 'failed';
  /** True when the mirror's cache already held it: nothing was fetched. */
  cached: boolean;
}

/** One image of a job. */
export interface WarmImageReport {
  /** As given (`redis:7`). */
  reference: string;
  /** Written out in full (`docker.io/library/redis:7`). */
  image: string;
  state: WarmImageState;
  /** Why it failed, in one line; absent otherwise. */
  error?: string;
  /** The platforms warmed (`linux/amd64`); empty for a single-platform image. */
  platforms: string[];
  /** Sum of the sizes of the items known so far (grows while manifests are read). */
  totalBytes: number;
  doneBytes: number;
  items: WarmItemReport[];
}

/** `running` while any image is not finished; `done` when every image is cached; else `failed` or `canceled`. */
export type WarmJobState = 'running' | 'done' | 'failed' | 'canceled';

export interface WarmJobReport {
  id: string;
  state: WarmJobState;
  /** `api` (POST /_lifec/warm, `lifec-mirror warm`) or `runmd` (a `.warm` step). */
  source: 'api' | 'runmd';
  /** The platforms asked for (`["linux/amd64"]`) or `"all"`. */
  platforms: string[] | 'all';
  /** ISO 8601 times. */
  createdAt: string;
  finishedAt?: string;
  totalBytes: number;
  doneBytes: number;
  images: WarmImageReport[];
}

/** True once an image will not change any more. */
export function isFinished(state: WarmImageState): boolean {
  return state === 'done' || state === 'failed' || state === 'canceled';
}
