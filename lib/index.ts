/**
 * lifec-mirror as a library: compile runmd into an Express router that
 * mirrors OCI registries, or use the parser, compiler and plugins on their own.
 */
export { createMirror, type MirrorOptions, type MirrorRouter } from './mirror';
export { startServer, parseListenAddress, type RunningServer, type ListenAddress } from './server';
export { parseRunmd } from './runmd/parse';
export { compileRunmd } from './runmd/compile';
export { RunmdError } from './runmd/errors';
export type * from './runmd/ast';
export type * from './runmd/config';
export { defaultCatalog } from './catalog';
export { PLUGINS, pullPlugin, pushPlugin, resolvePlugin } from './middleware';
export type { PluginDefinition, PluginDeps } from './middleware';
export { systemClock, type Clock } from './clock';
export { MirrorError, UpstreamError, type OciErrorCode } from './errors';
export type { MirrorContext } from './middleware/context';
export type { ResolvedManifest } from './oci/resolved-manifest';
export type { RouteKind } from './oci/routes';
export type { Credentials } from './auth/credentials';
export { createLogger, type Logger } from './log';
export { renderHostsToml } from './containerd/hosts-toml';
export { hostsConfigFromMirror, type HostsConfig, type HostEntry } from './containerd/host-config';
export { installMirrorHosts } from './containerd/install';
export { runEngine, type EngineOptions } from './engine/engine';
export { dumpEngine } from './engine/dump';
export { STEP_RUNNERS, type StepContext, type StepRunner } from './runtime';
