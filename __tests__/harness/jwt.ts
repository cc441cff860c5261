import crypto from 'node:crypto';

/** One entry of a Docker token's `access` claim. */
export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

/** How the JWT header names the signing key; Distribution 2.8 verifies both. */
export type KeyHint = 'kid' | 'x5c';

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32NoPadding(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * libtrust key ID, which Distribution matches a JWT `kid` against
 * (docker/libtrust util.go keyIDFromCryptoKey): base32 of the first 30 bytes
 * of sha256(DER SubjectPublicKeyInfo), unpadded, in 12 groups of 4 joined by ':'.
 */
export function libtrustKeyId(publicKey: crypto.KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const digest = crypto.createHash('sha256').update(der).digest().subarray(0, 30);
  return (base32NoPadding(digest).match(/.{4}/g) ?? []).join(':');
}

/** Signs `claims` as an RS256 JWT whose header names the key as Distribution expects. */
export function signJwt(
  claims: object,
  key: crypto.KeyObject,
  cert: crypto.X509Certificate,
  hint: KeyHint,
): string {
  // x5c is standard base64 (not base64url) DER, as RFC 7515 section 4.1.6 says.
  const header =
    hint === 'kid'
      ? { typ: 'JWT', alg: 'RS256', kid: libtrustKeyId(cert.publicKey) }
      : { typ: 'JWT', alg: 'RS256', x5c: [cert.raw.toString('base64')] };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = crypto.sign('sha256', Buffer.from(signingInput), key);
  return `${signingInput}.${base64url(signature)}`;
}

/**
 * Parses scope strings `type:name:actions` (space-separated lists allowed).
 * The name may contain ':' (host:port/repo), so split on the first and last colon only.
 */
export function parseScopes(raw: string[]): AccessEntry[] {
  const out: AccessEntry[] = [];
  for (const scope of raw.flatMap((s) => s.split(' ')).filter(Boolean)) {
    const first = scope.indexOf(':');
    const last = scope.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    out.push({
      type: scope.slice(0, first),
      name: scope.slice(first + 1, last),
      actions: scope.slice(last + 1).split(',').filter(Boolean),
    });
  }
  return out;
}
