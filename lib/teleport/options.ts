import { hostPlatform, parsePlatform, type Platform } from '../oci/platform';
import { TELEPORT_FORMATS, type TeleportFormat } from './formats';

/** The header a node's hosts.toml can send to ask for streamable images (the original tool's). */
export const UPGRADE_HEADER = 'x-ms-upgrade-if-streamable';

/** A `.teleport` line, parsed. */
export interface TeleportOptions {
  format: TeleportFormat;
  /** Index entries of these platforms are teleported; `all` teleports every entry. */
  platforms: readonly Platform[] | 'all';
  /** Only when the request carries `x-ms-upgrade-if-streamable: <stream format>`. */
  onRequest: boolean;
}

/**
 * Parses `<format> [os/arch[/variant] …] [all-platforms] [on-request]`.
 *
 * @throws Error with a readable reason (the plugin turns it into a RunmdError at the input)
 */
export function parseTeleportInput(input: string, host: Platform = hostPlatform()): TeleportOptions {
  const [name, ...words] = input.split(/[\s,]+/).filter((w) => w !== '');
  if (name === undefined) throw new Error(`.teleport needs a format (${[...TELEPORT_FORMATS.keys()].join(', ')})`);
  const format = TELEPORT_FORMATS.get(name);
  if (!format) throw new Error(`unknown teleport format "${name}" (known: ${[...TELEPORT_FORMATS.keys()].join(', ')})`);
  const platforms: Platform[] = [];
  let all = false;
  let onRequest = false;
  for (const word of words) {
    if (word === 'all-platforms') all = true;
    else if (word === 'on-request') onRequest = true;
    else if (word.includes('/')) platforms.push(parsePlatform(word));
    else throw new Error(`unknown .teleport option "${word}" (expected os/arch[/variant], all-platforms or on-request)`);
  }
  if (all && platforms.length > 0) throw new Error('all-platforms and a platform list exclude each other');
  return { format, platforms: all ? 'all' : platforms.length > 0 ? platforms : [host], onRequest };
}

/** True when the request asks for the format's stream format in `x-ms-upgrade-if-streamable`. */
export function requestAsks(header: string | undefined, format: TeleportFormat): boolean {
  return (header ?? '').split(',').some((v) => v.trim().toLowerCase() === format.streamFormat);
}
