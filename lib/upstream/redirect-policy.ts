import dns from 'node:dns';
import net from 'node:net';
import { UpstreamError } from '../errors';
import { redirectTargetAllowed } from './address-range';

/**
 * The mirror would not follow what the upstream answered (a redirect to a
 * refused address, scheme or URL, or a redirect loop). A policy decision, not
 * a sign that the upstream is down: it is never retried and never counts
 * against the upstream's circuit breaker, so one repository's bad redirects
 * cannot make every other repository answer 503.
 */
export class UpstreamRefusal extends UpstreamError {
  override name = 'UpstreamRefusal';

  constructor(message: string) {
    super(502, 'UNAVAILABLE', message);
  }
}

/** Schemes a redirect may lead to: those the client has agents for. */
const SCHEMES = new Set(['http:', 'https:']);

/**
 * The URL a `Location` leads to from `from`, or a refusal: a scheme other
 * than HTTP(S), a downgrade from https to http (the bytes would travel in
 * clear text, and a tampered blob could only be caught after a full
 * download), or userinfo (Node turns `user:pass@` into a Basic
 * `Authorization` header, which would let the upstream make the mirror send
 * credentials of its choosing).
 */
export function redirectTarget(from: URL, location: string, host: string): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new UpstreamRefusal(`upstream ${host} redirected to an invalid URL`);
  }
  if (!SCHEMES.has(next.protocol)) throw new UpstreamRefusal(`upstream ${host} redirected to an unsupported URL scheme ${next.protocol}`);
  if (from.protocol === 'https:' && next.protocol === 'http:') throw new UpstreamRefusal(`upstream ${host} redirected from https to http`);
  if (next.username || next.password) throw new UpstreamRefusal(`upstream ${host} redirected to a URL with credentials in it`);
  return next;
}

/**
 * Where a redirect hop may connect: judged on the address actually connected
 * to (the `lookup` of a new connection, the peer of a reused one), so a name
 * that resolves to a public address once and to 169.254.169.254 the next
 * time (DNS rebinding) is refused when it matters.
 */
export class TargetGuard {
  constructor(
    /** The address the upstream itself answered from, when known. */
    private readonly upstreamAddress: string | undefined,
    private readonly host: string,
  ) {}

  /** Throws the refusal for an address the hop must not connect to. */
  check(address: string, name: string): void {
    if (!redirectTargetAllowed(address, this.upstreamAddress)) {
      throw new UpstreamRefusal(`upstream ${this.host} redirected to ${name}, which resolves to an address the mirror does not connect to (${address})`);
    }
  }

  /** A `lookup` for `net.connect` that keeps only allowed addresses and fails when none is left. */
  readonly lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((a) => redirectTargetAllowed(a.address, this.upstreamAddress));
      if (allowed.length === 0) {
        try {
          this.check(addresses[0]?.address ?? '', hostname);
        } catch (refusal) {
          return callback(refusal as NodeJS.ErrnoException, '', 0);
        }
      }
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, allowed);
      const first = allowed[0]!;
      callback(null, first.address, first.family);
    });
  };
}
