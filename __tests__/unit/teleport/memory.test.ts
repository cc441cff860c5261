import { ManifestMemory } from '../../../lib/teleport/memory';

const manifest = (digest: string): { digest: string; bytes: Buffer } => ({ digest, bytes: Buffer.from(`{"d":"${digest}"}`) });

describe('ManifestMemory.getOrLoad', () => {
  it('shares one load among concurrent callers and keeps what it loaded', async () => {
    const memory = new ManifestMemory<{ digest: string; bytes: Buffer }>();
    const load = jest.fn(async () => manifest('sha256:a'));
    const results = await Promise.all([1, 2, 3].map(() => memory.getOrLoad('r', 'repo', 'sha256:a', load)));
    expect(load).toHaveBeenCalledTimes(1);
    for (const result of results) expect(result).toBe(results[0]);
    expect(await memory.getOrLoad('r', 'repo', 'sha256:a', load)).toBe(results[0]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('fails every caller of a failed load, keeps nothing, and loads again for the next one', async () => {
    const memory = new ManifestMemory<{ digest: string; bytes: Buffer }>();
    const failing = jest.fn(async (): Promise<{ digest: string; bytes: Buffer }> => {
      throw new Error('upstream answered 503');
    });
    const both = [1, 2].map(() => memory.getOrLoad('r', 'repo', 'sha256:b', failing));
    for (const attempt of both) await expect(attempt).rejects.toThrow(/503/);
    expect(failing).toHaveBeenCalledTimes(1);
    expect(memory.get('r', 'repo', 'sha256:b')).toBeUndefined();
    const working = jest.fn(async () => manifest('sha256:b'));
    expect((await memory.getOrLoad('r', 'repo', 'sha256:b', working)).digest).toBe('sha256:b');
    expect(working).toHaveBeenCalledTimes(1);
  });

  it('keeps loads of the same digest in different repositories apart', async () => {
    const memory = new ManifestMemory<{ digest: string; bytes: Buffer }>();
    const load = jest.fn(async () => manifest('sha256:c'));
    await Promise.all([memory.getOrLoad('r', 'one', 'sha256:c', load), memory.getOrLoad('r', 'two', 'sha256:c', load)]);
    expect(load).toHaveBeenCalledTimes(2);
  });
});
