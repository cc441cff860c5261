import type { UpstreamResponse } from '../upstream/exchange';
import type { Download } from './download';

/** A verified file in the cache. */
export interface CachedFile {
  key: string;
  path: string;
  size: number;
}

/** Where a blob's bytes come from. */
export type BlobSource =
  | { kind: 'hit'; file: CachedFile }
  /** `started`: this caller's fetch started the download (its upstream answer was for this caller's request). */
  | { kind: 'download'; download: Download; started: boolean }
  /** Not cacheable (an error status, no or too large `Content-Length`): relay as is. */
  | { kind: 'upstream'; response: UpstreamResponse };
