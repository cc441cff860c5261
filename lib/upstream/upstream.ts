import type { TlsMaterial } from './endpoints/declaration';
import type { MinRate } from './body-guard';

/**
 * An upstream registry the mirror answers for, declared by `.mirror <registry>`.
 */
export interface Upstream {
  /**
   * The registry host as containerd names it in `?ns=` (`example.azurecr.io`,
   * `127.0.0.1:5000`, `docker.io`): lowercase host, with the port when not default.
   */
  readonly host: string;
  /** Where requests go: `https://example.azurecr.io`, `http://127.0.0.1:5000`. */
  readonly origin: string;
  /** Requests without `ns` (skopeo, curl) go to the default upstream. */
  readonly isDefault: boolean;
  readonly timeouts: UpstreamTimeouts;
  /**
   * Where the registry's content is fetched from: `.endpoint` lines, tried in
   * order before the registry itself (unless `.origin off`), with the TLS of
   * each. Absent: the registry alone.
   */
  readonly fetchPlan?: FetchPlan;
}

/** One `.endpoint` of a registry, ready to connect to. */
export interface EndpointTarget {
  /** `host[:port][/prefix]`, as logs, metrics and `Lifec-Endpoint` name it. */
  readonly name: string;
  /** `http(s)://host[:port]`. */
  readonly origin: string;
  /** Harbor-style proxy project, put in front of the repository. */
  readonly prefix?: string;
  readonly tls: TlsMaterial;
}

/** The fetch order of one registry. */
export interface FetchPlan {
  readonly endpoints: readonly EndpointTarget[];
  /** False with `.origin off`: the registry itself is never asked. */
  readonly origin: boolean;
  /** TLS for the registry itself. */
  readonly originTls: TlsMaterial;
}

/** Bounds on waiting for an upstream, in milliseconds. */
export interface UpstreamTimeouts {
  /** TCP (and TLS) connect. */
  connect: number;
  /** From request sent to response headers received. */
  headers: number;
  /** Longest pause between two chunks of a body. */
  idle: number;
  /** From request sent to the last byte of a body read whole (a manifest), retries and redirects included. */
  manifest: number;
  /** The least a streamed body (a blob) must deliver while its reader waits. */
  minRate: MinRate;
}

export const DEFAULT_TIMEOUTS: UpstreamTimeouts = {
  connect: 5_000,
  headers: 30_000,
  idle: 60_000,
  manifest: 30_000,
  minRate: { bytesPerSecond: 16 * 1024, windowMs: 30_000 },
};

/** The upstreams of one mirror, looked up by the registry name clients use. */
export class UpstreamSet {
  readonly all: readonly Upstream[];
  /** Where requests that name no registry go: the `.default`, else the first declared. */
  readonly defaultUpstream: Upstream | undefined;
  private readonly hosts: ReadonlyMap<string, Upstream>;

  constructor(upstreams: readonly Upstream[]) {
    this.all = upstreams;
    this.defaultUpstream = upstreams.find((u) => u.isDefault) ?? upstreams[0];
    this.hosts = new Map(upstreams.map((u) => [u.host, u]));
  }

  /** The declared upstream named `host` (case-insensitive), or `undefined`. */
  byHost(host: string): Upstream | undefined {
    return this.hosts.get(host.toLowerCase());
  }

  /**
   * The upstream for a request's `ns` value; `undefined` when `ns` names a
   * registry that is not declared (the mirror must not become an open proxy).
   * Without `ns`, the default upstream. Requests are routed by `selectUpstream`
   * (select.ts), which also reads the registry from the path.
   */
  select(ns: string | undefined): Upstream | undefined {
    return ns === undefined ? this.defaultUpstream : this.byHost(ns);
  }
}
