import { PlainScalar, type YamlValue } from './yaml-subset';

/**
 * Writes a value of the YAML subset in block style, two spaces per level,
 * as k3s documents registries.yaml. Quoted strings are written as JSON
 * strings, which are valid YAML double-quoted scalars; plain scalars come
 * back as they were read. Keys are quoted unless they are plain words
 * (`docker.io`, `endpoint`), so `"*"` and `"host:5000"` stay keys.
 */
export function emitYaml(value: YamlValue): string {
  if (!(value instanceof Map)) throw new Error('a YAML document here is a mapping');
  if (value.size === 0) return '{}\n';
  return `${lines(value, 0).join('\n')}\n`;
}

function lines(value: YamlValue, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (value instanceof Map) return [...value].map(([key, v]) => `${pad}${emitKey(key)}:${after(v, indent)}`);
  if (Array.isArray(value)) return value.map((v) => `${pad}-${after(v, indent)}`);
  return [`${pad}${emitScalar(value)}`];
}

/** What follows `key:` or `-`: a scalar on the same line, or a block on the next lines. */
function after(value: YamlValue, indent: number): string {
  if (value instanceof Map) return value.size === 0 ? ' {}' : `\n${lines(value, indent + 2).join('\n')}`;
  if (Array.isArray(value)) return value.length === 0 ? ' []' : `\n${lines(value, indent + 2).join('\n')}`;
  const text = emitScalar(value);
  return text === '' ? '' : ` ${text}`;
}

function emitScalar(value: string | PlainScalar): string {
  return value instanceof PlainScalar ? value.text : JSON.stringify(value);
}

function emitKey(key: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(key) ? key : JSON.stringify(key);
}
