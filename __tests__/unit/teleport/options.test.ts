import { parseTeleportInput, requestAsks } from '../../../lib/teleport/options';

const host = { os: 'linux', architecture: 'amd64' };

describe('parseTeleportInput', () => {
  it('defaults to the host platform, teleporting always', () => {
    const o = parseTeleportInput('overlaybd', host);
    expect(o.format.name).toBe('overlaybd');
    expect(o.platforms).toEqual([host]);
    expect(o.onRequest).toBe(false);
  });

  it('reads platforms, all-platforms and on-request', () => {
    expect(parseTeleportInput('azure-streaming linux/arm64/v8, linux/amd64', host).platforms).toEqual([
      { os: 'linux', architecture: 'arm64' }, host,
    ]);
    expect(parseTeleportInput('overlaybd all-platforms on-request', host)).toMatchObject({ platforms: 'all', onRequest: true });
  });

  it.each([
    ['', 'needs a format'],
    ['overlaybdd', 'unknown teleport format "overlaybdd"'],
    ['overlaybd sometimes', 'unknown .teleport option "sometimes"'],
    ['overlaybd linux', 'unknown .teleport option'],
    ['overlaybd all-platforms linux/amd64', 'exclude each other'],
  ])('rejects %j', (input, message) => {
    expect(() => parseTeleportInput(input, host)).toThrow(message);
  });
});

describe('requestAsks', () => {
  it('accepts the stream format among comma-separated values, in any case', () => {
    const { format } = parseTeleportInput('azure-streaming', host);
    expect(requestAsks('OverlayBD', format)).toBe(true);
    expect(requestAsks('nydus, overlaybd', format)).toBe(true);
    expect(requestAsks('nydus', format)).toBe(false);
    expect(requestAsks(undefined, format)).toBe(false);
  });
});
