/**
 * The API a route serves: `/v2/<name>/<kind>/…` (distribution-spec, "Pull"),
 * and `uploads`, `/v2/<name>/blobs/uploads/[<reference>]` ("Push").
 */
export type RouteKind = 'manifests' | 'blobs' | 'tags' | 'referrers' | 'uploads';

/** Methods that change the registry (distribution-spec, "Push" and "Content Management"). */
export const WRITE_METHODS: readonly string[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

/** True for a method that writes; on `uploads` every method (the upload status GET too) belongs to the upload. */
export function isWrite(kind: RouteKind, method: string): boolean {
  return kind === 'uploads' || WRITE_METHODS.includes(method.toUpperCase());
}
