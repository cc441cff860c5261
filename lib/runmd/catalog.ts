import type { RouteKind } from '../oci/routes';
import type { RouteMethod, StepSpec } from './config';

/** What the compiler knows about a route plugin (the factory lives in lib/middleware). */
export interface PluginSignature {
  name: string;
  /** Routes the plugin may appear under. */
  routes: readonly RouteKind[];
  /** The plugin answers the request itself (streams it); nothing may follow it. */
  terminal?: boolean;
  /** The plugin leaves a manifest on the request context for the route to answer with. */
  producesManifest?: boolean;
  /** Plugins that must appear before this one in the same route. */
  requires?: readonly string[];
  /**
   * What the plugin does for write methods: `answers` them (`.push`, which
   * passes reads on), or `prepares` them (credentials, run before `.push`).
   * Plugins without it serve reads only and may not precede `.push`.
   */
  writes?: 'answers' | 'prepares';
}

/** What the compiler knows about a `.runtime` step. */
export interface StepSignature {
  name: string;
  /** Names of the property lines that belong to this step (e.g. `.host` after `.mirror`). */
  properties: readonly string[];
  /**
   * Checks the step's input and properties when the document is compiled, so
   * a mistake (e.g. an unknown containerd capability) is a `RunmdError` at
   * start rather than a failure halfway through the engine.
   */
  check?(step: StepSpec): void;
}

/** Everything `compileRunmd` checks names against. */
export interface Catalog {
  plugins: ReadonlyMap<string, PluginSignature>;
  steps: ReadonlyMap<string, StepSignature>;
  /** Names allowed as `.proxy` settings before the first route. */
  proxySettings: readonly string[];
}

/** The routes a `.proxy` can mount and the methods each supports (OCI distribution-spec, pull, push and delete endpoints). */
export const ROUTE_METHODS: Readonly<Record<RouteKind, readonly RouteMethod[]>> = {
  manifests: ['head', 'get', 'put', 'delete'],
  blobs: ['head', 'get', 'delete'],
  tags: ['get'],
  referrers: ['get'],
  uploads: ['post', 'patch', 'put', 'get', 'delete'],
};

/** Methods that read; every other method a route lists is a write, answered by `.push`. */
export const READ_METHODS: readonly RouteMethod[] = ['get', 'head'];
