import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultCatalog } from '../../../lib/catalog';
import { renderMirrorRunmd } from '../../../lib/cli/runmd-template';
import { silentLogger } from '../../../lib/log';
import { compileRunmd } from '../../../lib/runmd/compile';
import { parseRunmd } from '../../../lib/runmd/parse';
import { runOverlaybdAuth } from '../../../lib/runtime/overlaybd-auth';
import { PermanentStepError, type StepContext } from '../../../lib/runtime/step-context';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
let home: string;
let file: string;

function context(): StepContext {
  const text = renderMirrorRunmd({ registryHost: 'example.azurecr.io', acrName: 'example', upstream: 'example.azurecr.io', mirrorAddress: 'localhost:8578', teleportFormat: 'overlaybd', overlaybd: true });
  const config = compileRunmd(parseRunmd(text, 'mirror.runmd'), defaultCatalog);
  return { home, config, logger: silentLogger(), clock: { now: () => NOW }, env: {} };
}

function step() {
  const config = context().config;
  const found = config.events.flatMap((e) => e.steps).find((s) => s.name === 'overlaybd-auth');
  if (!found) throw new Error('the template has no .overlaybd-auth step');
  return { ...found, input: file };
}

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lifec-overlaybd-'));
  file = path.join(home, 'overlaybd.json');
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

describe('.overlaybd-auth', () => {
  it('is what init writes into the install event when overlaybd is installed, and it compiles', () => {
    const config = context().config;
    const install = config.events.find((e) => e.name === 'install');
    expect(install?.steps.map((s) => [s.name, s.input])).toEqual([['overlaybd-auth', '/etc/overlaybd/overlaybd.json']]);
  });

  it('points credentialConfig at the mirror, keeps every other setting and the file mode, and backs up the original', async () => {
    const original = JSON.stringify({ logConfig: { logLevel: 1 }, credentialConfig: { mode: 'file', path: '/opt/overlaybd/cred.json' }, ioEngine: 0 });
    fs.writeFileSync(file, original, { mode: 0o640 });
    await runOverlaybdAuth(step(), context());
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written).toEqual({ logConfig: { logLevel: 1 }, credentialConfig: { mode: 'http', path: 'localhost:8578/auth' }, ioEngine: 0 });
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    const backups = fs.readdirSync(home).filter((f) => f.startsWith('overlaybd.json.lifec-backup-'));
    expect(backups).toHaveLength(1);
    expect(fs.readFileSync(path.join(home, backups[0]!), 'utf8')).toBe(original);
  });

  it.each([['a string', 'file'], ['an array', ['file', '/x']], ['null', null]])('replaces a credentialConfig that is %s with the mirror settings only', async (_what, value) => {
    fs.writeFileSync(file, JSON.stringify({ credentialConfig: value, ioEngine: 0 }));
    await runOverlaybdAuth(step(), context());
    const written = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(written).toEqual({ credentialConfig: { mode: 'http', path: 'localhost:8578/auth' }, ioEngine: 0 });
  });

  it('leaves a file that already points at the mirror untouched', async () => {
    const text = JSON.stringify({ credentialConfig: { mode: 'http', path: 'localhost:8578/auth' } });
    fs.writeFileSync(file, text);
    await runOverlaybdAuth(step(), context());
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(fs.readdirSync(home)).toEqual(['overlaybd.json']);
  });

  it('fails for good, writing nothing, when the file is missing or not a JSON object', async () => {
    await expect(runOverlaybdAuth(step(), context())).rejects.toThrow(PermanentStepError);
    await expect(runOverlaybdAuth(step(), context())).rejects.toThrow(/does not exist: install the overlaybd snapshotter/);
    fs.writeFileSync(file, '{ not json');
    await expect(runOverlaybdAuth(step(), context())).rejects.toThrow(/is not valid JSON; it was left unchanged$/);
    fs.writeFileSync(file, '[1]');
    await expect(runOverlaybdAuth(step(), context())).rejects.toThrow(/does not hold a JSON object/);
    expect(fs.readdirSync(home)).toEqual(['overlaybd.json']);
    expect(fs.readFileSync(file, 'utf8')).toBe('[1]');
  });
});
