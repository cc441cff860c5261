import type { Line, SourcePos, TypedValue } from './ast';
import type { RouteKind } from '../oci/routes';

/** HTTP methods a route can list: reads, and the writes `.push` answers. */
export type RouteMethod = 'get' | 'head' | 'put' | 'delete' | 'post' | 'patch';

/** One plugin line under a route: `:   .resolve application/…`. */
export interface PluginCall {
  name: string;
  input: string;
  pos: SourcePos;
  inputPos: SourcePos;
}

/** A `: .manifests head, get` line and the plugin lines under it. */
export interface RouteSpec {
  kind: RouteKind;
  methods: RouteMethod[];
  plugins: PluginCall[];
  pos: SourcePos;
}

/** `+ .proxy <address>`: where to listen and what each route does. */
export interface ProxySpec {
  /** `host:port` to listen on, e.g. `localhost:8578`. */
  address: string;
  /** Proxy-wide settings: the `:` lines before the first route (e.g. `.cache`). */
  settings: Line[];
  routes: RouteSpec[];
  pos: SourcePos;
}

/** One `.runtime` line with the property lines that belong to it. */
export interface StepSpec {
  name: string;
  input: string;
  properties: Line[];
  pos: SourcePos;
  inputPos: SourcePos;
}

/** A fenced block that holds a `.runtime`: an event of the engine. */
export interface EventSpec {
  name: string;
  /** The engine the block names (`` ``` start mirror ``), if any. */
  engine?: string;
  /** Block control values (`: work_dir .symbol …` before the first `+`). */
  controls: Record<string, TypedValue>;
  steps: StepSpec[];
  pos: SourcePos;
}

/** `+ .engine`: the order in which events run. */
export interface EngineSpec {
  name: string;
  /** Events to run in order; `once` events are skipped when the engine loops. */
  sequence: Array<{ event: string; once: boolean; pos: SourcePos }>;
  /** `.loop`: restart after a failed event. */
  loop: boolean;
  pos?: SourcePos;
}

/** A registry declared with `.mirror`, with its properties (`.host`, `.server`, …). */
export interface MirrorSpec {
  /** The `.mirror` input as written: a host or URL. */
  address: string;
  /** Registry host as containerd names it (`ns`). */
  host: string;
  /** Base URL requests go to. */
  origin: string;
  properties: Line[];
  pos: SourcePos;
}

/** A compiled runmd document: everything the engine, the server and hosts.toml need. */
export interface MirrorConfig {
  file: string;
  engine: EngineSpec;
  events: EventSpec[];
  mirrors: MirrorSpec[];
  proxy?: ProxySpec;
}
