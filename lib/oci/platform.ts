/**
 * Platforms as the OCI image index describes them (image-spec
 * image-index.md, `platform`) and the matching rules containerd applies
 * (containerd/platforms `Normalize`, `Only`): architecture aliases and
 * default variants compare equal, so `aarch64` is `arm64` and `arm64/v8` is
 * `arm64`.
 */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Node's `process.arch` names → OCI (GOARCH) names. */
const NODE_ARCH: Readonly<Record<string, string>> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/**
 * The platform of the machine the mirror runs on, which is the platform the
 * node's containerd pulls. containerd on macOS runs in a Linux VM, so darwin
 * maps to linux; win32 is windows.
 */
export function hostPlatform(arch: string = process.arch, os: string = process.platform): Platform {
  const platformOs = os === 'win32' ? 'windows' : os === 'darwin' ? 'linux' : os;
  return normalizePlatform({ os: platformOs, architecture: NODE_ARCH[arch] ?? arch });
}

/** containerd/platforms `normalizeArch`: aliases and default variants. */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase();
  let architecture = platform.architecture.toLowerCase();
  let variant = (platform.variant ?? '').toLowerCase();
  if (architecture === 'i386') (architecture = '386'), (variant = '');
  else if (['x86_64', 'x86-64', 'amd64'].includes(architecture)) {
    architecture = 'amd64';
    if (variant === 'v1') variant = '';
  } else if (architecture === 'aarch64' || architecture === 'arm64') {
    architecture = 'arm64';
    if (['8', 'v8', 'v8.0'].includes(variant)) variant = '';
    else if (['9', '9.0', 'v9.0'].includes(variant)) variant = 'v9';
  } else if (architecture === 'armhf') (architecture = 'arm'), (variant = 'v7');
  else if (architecture === 'armel') (architecture = 'arm'), (variant = 'v6');
  else if (architecture === 'arm') {
    if (variant === '' || variant === '7') variant = 'v7';
    else if (['5', '6', '8'].includes(variant)) variant = `v${variant}`;
  }
  return variant === '' ? { os, architecture } : { os, architecture, variant };
}

/** True when both name the same platform once normalized (os, architecture, variant). */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const a = normalizePlatform(wanted);
  const b = normalizePlatform(candidate);
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/**
 * Parses `os/arch[/variant]` (the `ctr --platform` form), e.g. `linux/arm64/v8`.
 *
 * @throws Error with a readable reason when the text is not of that form
 */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  const valid = parts.length >= 2 && parts.length <= 3 && parts.every((p) => /^[A-Za-z0-9_.-]+$/.test(p));
  const [os, architecture, variant] = parts;
  if (!valid || os === undefined || architecture === undefined) {
    throw new Error(`"${text}" is not a platform (write os/architecture[/variant], e.g. linux/arm64)`);
  }
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

/** `linux/arm64/v8`-style text, for logs and headers. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((p) => p).join('/');
}
