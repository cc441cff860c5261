import { OVERLAYBD_CONFIG } from '../runtime/overlaybd-auth';

/** What `init` writes a mirror.runmd for. */
export interface TemplateOptions {
  /** The registry host containerd pulls from (`example.azurecr.io`, `127.0.0.1:5000`). */
  registryHost: string;
  /** The ACR name for `.login-acr` (`example`); absent for a registry without Azure login. */
  acrName?: string;
  /** `.mirror` input: the host, or a URL for a plain-HTTP registry. */
  upstream: string;
  /** Where the mirror listens, e.g. `localhost:8578`. */
  mirrorAddress: string;
  teleportFormat: string;
  /** Whether the overlaybd snapshotter was found on this machine. */
  overlaybd: boolean;
}

const fence = (tag: string, lines: string[]): string => ['```' + (tag ? ` ${tag}` : ''), ...lines, '```'].join('\n');

/**
 * The mirror.runmd `init` writes: prose that explains each part, and the
 * fenced blocks lifec-mirror reads (docs/runmd.md).
 */
export function renderMirrorRunmd(o: TemplateOptions): string {
  const acr = o.acrName !== undefined;
  const parts = [
    `# lifec-mirror for ${o.registryHost}`,
    '',
    'This file configures a registry mirror for containerd. It is Markdown: this text',
    'explains each part, and lifec-mirror reads only the fenced blocks (docs/runmd.md).',
    'Run `lifec-mirror dump` to list the steps with their ids, `lifec-mirror start` to run',
    'them and serve the mirror, and `lifec-mirror start --id <n>` to begin at step n.',
    '',
    '## The engine',
    '',
    '`start` runs these events in order. `install` (`.once`) is one-time host setup; a',
    'failure there stops the mirror. `start` prepares the mirror; with `.loop`, a failed',
    '`start` event (a login while the network is still coming up, say) is run again',
    'after a back-off of 1 s, doubling up to 60 s.',
    '',
    fence('', ['+ .engine', ': .once  install', ': .start start', ': .loop']),
    '',
    '## One-time setup',
    '',
    ...installProse(o),
    '',
    fence('install', ['+ .runtime', o.overlaybd ? `: .overlaybd-auth ${OVERLAYBD_CONFIG}` : ': .println nothing to install: the overlaybd snapshotter is not on this machine']),
    '',
    '## Start',
    '',
    ...(acr
      ? [
          `\`.login-acr ${o.acrName}\` gets a refresh token for ${o.registryHost} from the Azure CLI (\`az acr`,
          'login --expose-token`) or from the managed identity of this VM, and `.install',
          'access_token` keeps it as a credential file (mode 0600) for the `.login` plugin below.',
        ]
      : ['This registry needs no login. For one that does, add `.login` and `.authn oauth2` to', 'the routes below (docs/auth.md).']),
    `\`.mirror\` declares the registry. \`.host\` writes containerd's \`hosts.toml\` for it, so`,
    `containerd asks the mirror at ${o.mirrorAddress} first (\`resolve\`, \`pull\`) and falls back to the`,
    'registry itself (`server`) when the mirror is down (docs/containerd.md).',
    '',
    fence('start', ['+ .runtime', ...(acr ? [`: .login-acr    ${o.acrName}`, ': .install      access_token'] : []), `: .mirror       ${o.upstream}`, `: .host         ${o.mirrorAddress}, resolve, pull`]),
    '',
    '## The proxy',
    '',
    ...proxyProse(acr, o.teleportFormat),
    '',
    fence('', proxyLines(acr, o)),
    '',
  ];
  return parts.join('\n');
}

function installProse(o: TemplateOptions): string[] {
  if (!o.overlaybd) {
    return ['The overlaybd snapshotter was not found when this file was written, so there is', 'nothing to set up.'];
  }
  return [
    'The overlaybd snapshotter reads image data itself. `.overlaybd-auth` lets it use the',
    `credentials the mirror holds: it sets \`"credentialConfig": {"mode": "http", "path": "${o.mirrorAddress}/auth"}\``,
    `in \`${OVERLAYBD_CONFIG}\` (after a backup, keeping every other setting); restart`,
    '`overlaybd-tcmu` once it ran (docs/auth.md).',
  ];
}

function proxyProse(acr: boolean, format: string): string[] {
  if (!acr) return ['Manifests are resolved at the registry and blobs streamed through, by digest.'];
  return [
    'Each route runs its plugins in order: `.login` loads the credential file, `.authn',
    'oauth2` trades it for a registry token, `.resolve` fetches the manifest, `.discover`',
    'looks up the referrers of the manifest (the OCI referrers API, then the tag schema),',
    `and \`.teleport ${format}\` answers a tag with its streamable variant when there is one.`,
    'Blobs are pulled with the same login. docs/teleport.md explains the options.',
  ];
}

function proxyLines(acr: boolean, o: TemplateOptions): string[] {
  if (!acr) return [`+ .proxy        ${o.mirrorAddress}`, ': .manifests    head, get', ':   .resolve', ': .blobs        head, get', ':   .pull'];
  return [
    `+ .proxy        ${o.mirrorAddress}`,
    ': .manifests    head, get',
    ':   .login      access_token',
    ':   .authn      oauth2',
    ':   .resolve',
    ':   .discover',
    `:   .teleport   ${o.teleportFormat}`,
    ': .blobs        head, get',
    ':   .login      access_token',
    ':   .authn      oauth2',
    ':   .pull',
  ];
}
