/** A manifest as `.resolve` found it upstream (or a later plugin replaced it). */
export interface ResolvedManifest {
  /** The upstream status (200 for a found manifest). */
  status: number;
  mediaType: string;
  digest: string;
  size: number;
  /** The exact bytes; absent after a HEAD that no plugin needed the body of. */
  body?: Buffer;
  /** Extra headers to send with it (e.g. `Lifec-Teleport`). */
  headers: Record<string, string>;
}
