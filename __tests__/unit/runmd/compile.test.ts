import { readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultCatalog } from '../../../lib/catalog';
import type { Catalog } from '../../../lib/runmd/catalog';
import { compileRunmd } from '../../../lib/runmd/compile';
import { RunmdError } from '../../../lib/runmd/errors';
import { parseRunmd } from '../../../lib/runmd/parse';

const catalog: Catalog = defaultCatalog;
const compile = (text: string) => compileRunmd(parseRunmd(text, 'test.runmd'), catalog);
const block = (...lines: string[]) => ['``` start mirror', ...lines, '```', ''].join('\n');
const base = ['+ .runtime', ': .mirror http://127.0.0.1:5000', '+ .proxy localhost:8578'];

function compileError(text: string): RunmdError {
  try {
    compile(text);
  } catch (err) {
    if (err instanceof RunmdError) return err;
    throw err;
  }
  throw new Error('expected a RunmdError');
}

describe('compileRunmd', () => {
  it('compiles routes with their methods and plugin stacks in order', () => {
    const config = compile(block(...base, ': .manifests head, get', ':   .resolve application/x', ': .blobs get', ':   .pull'));
    expect(config.proxy?.address).toBe('localhost:8578');
    expect(config.proxy?.routes.map((r) => [r.kind, r.methods, r.plugins.map((p) => `${p.name}:${p.input}`)])).toEqual([
      ['manifests', ['head', 'get'], ['resolve:application/x']],
      ['blobs', ['get'], ['pull:']],
    ]);
  });

  it('declares each .mirror as an upstream with its properties', () => {
    const config = compile(block('+ .runtime', ': .mirror example.azurecr.io', ': .host localhost:8578, resolve, pull', ': .mirror http://127.0.0.1:5000'));
    expect(config.mirrors.map((m) => [m.host, m.origin, m.properties.map((p) => p.name)])).toEqual([
      ['example.azurecr.io', 'https://example.azurecr.io', ['host']],
      ['127.0.0.1:5000', 'http://127.0.0.1:5000', []],
    ]);
  });

  it('builds an implicit engine that runs each runtime block in order', () => {
    const config = compile(block(...base, ': .blobs get', ':   .pull'));
    expect(config.engine.sequence.map((s) => s.event)).toEqual(['start']);
    expect(config.events[0]?.engine).toBe('mirror');
  });

  it('reads .engine events and .loop', () => {
    const text = ['```', '+ .engine', ': .once install', ': .start start', ': .loop', '```', '``` install', '+ .runtime', '```', block(...base, ': .blobs get', ':   .pull')].join('\n');
    const config = compile(text);
    expect(config.engine.sequence).toEqual([
      expect.objectContaining({ event: 'install', once: true }),
      expect.objectContaining({ event: 'start', once: false }),
    ]);
    expect(config.engine.loop).toBe(true);
  });

  it('compiles the original README example with every plugin and step it names', () => {
    const text = readFileSync(path.join(__dirname, '../../fixtures/runmd/readme-example.runmd'), 'utf8');
    const config = compileRunmd(parseRunmd(text, 'mirror.runmd'), catalog);
    expect(config.events[0]?.steps.map((s) => s.name)).toEqual(['login-acr', 'install', 'mirror']);
    expect(config.mirrors[0]?.host).toBe('example.azurecr.io');
    expect(config.proxy?.routes.map((r) => [r.kind, r.plugins.map((p) => p.name)])).toEqual([
      ['manifests', ['login', 'authn', 'resolve', 'discover', 'teleport']],
      ['blobs', ['login', 'authn', 'pull']],
    ]);
  });

  it('suggests the closest plugin name', () => {
    const err = compileError(block(...base, ': .blobs get', ':   .pul'));
    expect(err.message).toBe('test.runmd:6:1: unknown plugin ".pul" (did you mean ".pull"?)');
  });

  it('rejects a method a route does not allow', () => {
    expect(compileError(block(...base, ': .tags head', ':   .pull')).reason).toMatch(/method "head" is not allowed on ".tags"/);
    expect(compileError(block(...base, ': .blobs put', ':   .pull')).reason).toMatch(/"put" is not allowed/);
  });

  it('rejects a route without plugins, without methods, or declared twice', () => {
    expect(compileError(block(...base, ': .blobs get')).reason).toMatch(/has no plugins/);
    expect(compileError(block(...base, ': .blobs', ':   .pull')).reason).toMatch(/lists no methods/);
    expect(compileError(block(...base, ': .blobs get', ':   .pull', ': .blobs head', ':   .pull')).reason).toMatch(/declared twice/);
  });

  it('rejects a plugin on a route it does not serve', () => {
    expect(compileError(block(...base, ': .blobs get', ':   .resolve')).reason).toMatch(/cannot be used on ".blobs"/);
  });

  it('rejects a plugin after one that answers the request', () => {
    expect(compileError(block(...base, ': .blobs get', ':   .pull', ':   .pull')).reason).toMatch(/can never run/);
  });

  it('rejects a .mirror that is not a registry address, at its input', () => {
    const err = compileError(block('+ .runtime', ': .mirror ftp://x'));
    expect(err.pos).toMatchObject({ line: 3, column: 11 });
  });

  it('rejects the same registry declared twice', () => {
    expect(compileError(block('+ .runtime', ': .mirror a.io', ': .mirror https://a.io')).reason).toMatch(/already declared at line 3/);
  });

  it('rejects an unknown root and an unknown step with suggestions', () => {
    expect(compileError(block('+ .proxi localhost:1')).reason).toBe('unknown root ".proxi" (did you mean ".proxy"?)');
    expect(compileError(block('+ .runtime', ': .mirorr a.io')).reason).toBe('unknown step ".mirorr" (did you mean ".mirror"?)');
  });

  it('rejects an engine that names a missing event', () => {
    expect(compileError(['```', '+ .engine', ': .start strat', '```', block(...base, ': .blobs get', ':   .pull')].join('\n')).reason).toMatch(
      /no block is tagged with it \(did you mean "start"\?\)/,
    );
  });

  it('keeps block control values', () => {
    const config = compile(block(': work_dir .symbol .world/x', ...base, ': .blobs get', ':   .pull'));
    expect(config.events[0]?.controls).toEqual({ work_dir: { type: 'symbol', value: '.world/x' } });
  });
});
