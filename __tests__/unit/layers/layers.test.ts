import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.js');

/** Runs the layer check (the same command as `npm run check:layers`) on `lib/` under `cwd`. */
function checkLayers(cwd: string): { status: number | null; output: string } {
  const run = spawnSync(DEPCRUISE, ['lib', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** A small tree laid out like lib/, written to a temporary directory. */
function treeWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-layers-'));
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('layer check', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
  const tree = (files: Record<string, string>) => {
    const dir = treeWith(files);
    made.push(dir);
    return dir;
  };

  it('finds no cycle and no upward import in lib/', () => {
    const result = checkLayers(ROOT);
    expect(result.output).toContain('no dependency violations found');
    expect(result.status).toBe(0);
  });

  it('accepts a tree whose imports all point down', () => {
    const dir = tree({
      'lib/cli/main.ts': "import { x } from '../cache/a';\nexport const y = x;\n",
      'lib/cache/a.ts': "import type { Clock } from '../clock';\nexport const x = 1;\nexport type C = Clock;\n",
      'lib/clock.ts': 'export interface Clock { now(): number }\n',
    });
    expect(checkLayers(dir).status).toBe(0);
  });

  it('fails on an import cycle, type-only imports included', () => {
    const dir = tree({
      'lib/cache/a.ts': "import type { B } from './b';\nexport interface A { b?: B }\n",
      'lib/cache/b.ts': "import type { A } from './a';\nexport interface B { a?: A }\n",
    });
    const result = checkLayers(dir);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/no-circular: lib\/cache\/a\.ts/);
  });

  it('fails on an import from a lower layer to a higher one', () => {
    const dir = tree({
      'lib/clock.ts': "import type { PluginDeps } from './middleware/plugin';\nexport type D = PluginDeps;\n",
      'lib/middleware/plugin.ts': 'export interface PluginDeps { home: string }\n',
    });
    const result = checkLayers(dir);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/no-upward-from-foundations: lib\/clock\.ts → lib\/middleware\/plugin\.ts/);
  });

  it('fails on a module that belongs to no layer', () => {
    const dir = tree({ 'lib/utils.ts': "import { x } from './oci/x';\nexport const y = x;\n", 'lib/oci/x.ts': 'export const x = 1;\n' });
    const result = checkLayers(dir);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/every-module-has-a-layer: lib\/utils\.ts/);
  });
});
