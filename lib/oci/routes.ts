/** The API a route serves: `/v2/<name>/<kind>/…` (distribution-spec, "Pull"). */
export type RouteKind = 'manifests' | 'blobs' | 'tags' | 'referrers';
