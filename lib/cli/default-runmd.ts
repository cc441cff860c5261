import os from 'node:os';
import path from 'node:path';

/**
 * The registries the built-in default mirrors: the public registries people
 * pull from, Docker Hub first (the `.default`, where requests that name no
 * registry go).
 */
export const DEFAULT_REGISTRIES = ['docker.io', 'ghcr.io', 'quay.io', 'registry.k8s.io', 'mcr.microsoft.com', 'public.ecr.aws', 'gcr.io'] as const;

/** Where the built-in default listens. */
export const DEFAULT_ADDRESS = 'localhost:8578';

/** The name the built-in default goes by in messages and `dump`. */
export const BUILT_IN_NAME = '(built-in default)';

const fence = (tag: string, lines: string[]): string => ['```' + (tag ? ` ${tag}` : ''), ...lines, '```'].join('\n');

/** The proxy routes: every route authenticates (anonymously without `.login`), then answers. */
const ROUTES: Array<[string, string, string]> = [
  ['manifests', 'head, get', 'resolve'],
  ['blobs', 'head, get', 'pull'],
  ['tags', 'get', 'pull'],
  ['referrers', 'get', 'pull'],
];

/**
 * The configuration `start` serves when there is no `mirror.runmd` and no
 * `--config`, as the readable runmd `init --default` writes.
 */
export function renderDefaultRunmd(address = DEFAULT_ADDRESS): string {
  const registries = DEFAULT_REGISTRIES.flatMap((host, i) => [`: .mirror      ${host}`, ...(i === 0 ? [': .default'] : [])]);
  const routes = ROUTES.flatMap(([route, methods, answer]) => [`: .${route.padEnd(12)} ${methods}`, ':   .authn      oauth2', `:   .${answer}`]);
  return [
    '# lifec-mirror: the public registries',
    '',
    'This is the configuration `lifec-mirror start` serves when it finds no `mirror.runmd`:',
    'a pull-through mirror of the public registries, anonymous, with its cache on. It is',
    'Markdown: this text explains each part, and lifec-mirror reads only the fenced blocks',
    '(docs/runmd.md). Edit it and run `lifec-mirror start` in this directory.',
    '',
    '## Registries',
    '',
    '`.mirror` declares each registry the mirror answers for; a request for any other',
    'registry gets `404 NAME_UNKNOWN` and never leaves this machine. `docker.io` is the',
    '`.default`: a request that names no registry (Docker Engine\'s `registry-mirrors`)',
    'goes there, served from `registry-1.docker.io`. There is no `.host` line, so `start`',
    "changes no client's configuration: `lifec-mirror configure containerd|docker|podman|k3s`",
    'points each client at the mirror (docs/clients.md).',
    '',
    fence('start mirror', ['+ .runtime', ...registries]),
    '',
    '## The proxy',
    '',
    `The mirror listens on ${address}. \`.authn oauth2\` answers each registry's token challenge`,
    'itself, anonymously since there is no `.login` (add one per docs/auth.md for private',
    'images). `.resolve` fetches manifests (a tag is asked with a `HEAD`, which pull quotas',
    'do not count) and `.pull` serves blobs from the cache (docs/cache.md).',
    '',
    fence('', [`+ .proxy        ${address}`, ...routes]),
    '',
  ].join('\n');
}

/**
 * The home of a mirror started without a config file (its cache and state):
 * `$LIFEC_MIRROR_HOME`, else `/var/lib/lifec-mirror` for root, else
 * `${XDG_STATE_HOME:-~/.local/state}/lifec-mirror` (XDG Base Directory spec).
 */
export function defaultHome(env: NodeJS.ProcessEnv, uid: number | undefined = process.getuid?.(), homedir: string = os.homedir()): string {
  if (env.LIFEC_MIRROR_HOME) return path.resolve(env.LIFEC_MIRROR_HOME);
  if (uid === 0) return '/var/lib/lifec-mirror';
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(homedir, '.local', 'state');
  return path.join(state, 'lifec-mirror');
}
