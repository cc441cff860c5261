import { defaultCatalog } from '../../../lib/catalog';
import { silentLogger } from '../../../lib/log';
import { createMirror } from '../../../lib/mirror';
import { compileRunmd } from '../../../lib/runmd/compile';
import type { MirrorConfig } from '../../../lib/runmd/config';
import { parseRunmd } from '../../../lib/runmd/parse';
import { runTimer } from '../../../lib/runtime/timer';
import { runWarm, warmPlatforms, warmReferences } from '../../../lib/runtime/warm';
import { systemClock } from '../../../lib/clock';

const document = (runtime: string): string =>
  `\`\`\` start mirror\n+ .runtime\n: .mirror http://127.0.0.1:5000\n${runtime}\n\n+ .proxy 127.0.0.1:0\n: .manifests get\n:   .resolve\n\`\`\`\n`;
const compile = (runtime: string): MirrorConfig => compileRunmd(parseRunmd(document(runtime), 'm.runmd'), defaultCatalog);
const step = (config: MirrorConfig, name: string) => config.events[0]!.steps.find((s) => s.name === name)!;

describe('.warm', () => {
  it('reads a comma-separated list of references and its platforms', () => {
    const config = compile(': .warm redis:7, 127.0.0.1:5000/app:v1\n: .platform linux/arm64, linux/amd64');
    expect(warmReferences(step(config, 'warm'))).toEqual(['redis:7', '127.0.0.1:5000/app:v1']);
    expect(warmPlatforms(step(config, 'warm'))).toEqual([{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'amd64' }]);
    expect(warmPlatforms(step(compile(': .warm redis\n: .platform all'), 'warm'))).toBe('all');
  });

  it.each([
    [': .warm', /needs the images to warm/],
    [': .warm Redis:7', /not an image reference/],
    [': .warm redis:7\n: .platform linux', /m\.runmd:5:\d+: "linux" is not a platform/],
  ])('rejects %j when the config is compiled', (runtime, message) => {
    expect(() => compile(runtime)).toThrow(message);
  });

  it('returns at once, leaving a job that waits for the server to listen; a .timer after it does not wait', async () => {
    const text = document(': .warm 127.0.0.1:5000/app:v1\n: .timer 1h');
    const mirror = createMirror({ runmd: text.replace('+ .proxy 127.0.0.1:0', '+ .proxy 127.0.0.1:0\n: .cache /tmp/lifec-warm-step-unit-cache'), home: '/tmp' });
    try {
      const ctx = { home: '/tmp', config: mirror.config, logger: silentLogger(), clock: systemClock, env: {}, services: mirror.services };
      await runWarm(step(mirror.config, 'warm'), ctx);
      // An hour-long .timer right after the .warm is its period: the engine goes on at once.
      await runTimer(step(mirror.config, 'timer'), ctx);
      expect(mirror.services.warm.reports()).toEqual([expect.objectContaining({ source: 'runmd', state: 'running', images: [expect.objectContaining({ state: 'queued' })] })]);
    } finally {
      await mirror.close();
    }
    expect(mirror.services.warm.reports()[0]).toMatchObject({ state: 'canceled' });
  });
});
