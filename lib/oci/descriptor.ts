import type { Platform } from './platform';
import { isValidDigest } from './reference';

/** An OCI content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

/** A manifest, index or referrers answer that does not have the shape the spec requires. */
export class ManifestFormatError extends Error {
  override readonly name = 'ManifestFormatError';
}

/** `value` as a plain JSON object, or a `ManifestFormatError` naming `what`. */
export function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ManifestFormatError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * Checks a descriptor read from JSON: media type, a well-formed digest, a
 * non-negative whole size, and string-valued annotations. Unknown fields are
 * kept out of the result; callers that re-serialize an index keep the
 * original objects instead.
 */
export function parseDescriptor(value: unknown, what = 'descriptor'): Descriptor {
  const o = asObject(value, what);
  const { mediaType, digest, size, artifactType } = o;
  if (typeof mediaType !== 'string' || mediaType === '') throw new ManifestFormatError(`${what} has no mediaType`);
  if (typeof digest !== 'string' || !isValidDigest(digest)) throw new ManifestFormatError(`${what} has an invalid digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new ManifestFormatError(`${what} has an invalid size`);
  const descriptor: Descriptor = { mediaType, digest, size };
  if (typeof artifactType === 'string' && artifactType !== '') descriptor.artifactType = artifactType;
  if (o.platform !== undefined) descriptor.platform = parsePlatformObject(o.platform, what);
  if (o.annotations !== undefined) descriptor.annotations = parseAnnotations(o.annotations, what);
  return descriptor;
}

function parsePlatformObject(value: unknown, what: string): Platform {
  const o = asObject(value, `${what}.platform`);
  const { os, architecture, variant } = o;
  if (typeof os !== 'string' || typeof architecture !== 'string') throw new ManifestFormatError(`${what}.platform needs os and architecture`);
  return typeof variant === 'string' && variant !== '' ? { os, architecture, variant } : { os, architecture };
}

/** Annotations are a string→string map (image-spec annotations.md). */
export function parseAnnotations(value: unknown, what: string): Record<string, string> {
  const o = asObject(value, `${what}.annotations`);
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(o)) {
    if (typeof v !== 'string') throw new ManifestFormatError(`${what}.annotations["${key}"] is not a string`);
    out[key] = v;
  }
  return out;
}
