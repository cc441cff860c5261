import { endpointFromAddress, endpointFromUrl, registryPathSegment } from '../../../lib/clients/mirror-endpoint';

describe('mirror endpoint', () => {
  test('a .proxy address keeps its host and is reached over plain HTTP', () => {
    expect(endpointFromAddress('localhost:8578')).toEqual({ url: 'http://localhost:8578', authority: 'localhost:8578', plainHttp: true, loopback: true });
    expect(endpointFromAddress('127.0.0.1:9000')).toMatchObject({ url: 'http://127.0.0.1:9000', loopback: true });
    expect(endpointFromAddress('[::1]:8578')).toMatchObject({ url: 'http://[::1]:8578', authority: '[::1]:8578', loopback: true });
  });

  test('a .proxy serving TLS is reached over https', () => {
    expect(endpointFromAddress('localhost:8578', 'https')).toEqual({ url: 'https://localhost:8578', authority: 'localhost:8578', plainHttp: false, loopback: true });
  });

  test('a mirror bound to every address is dialled on localhost', () => {
    expect(endpointFromAddress('0.0.0.0:8578').url).toBe('http://localhost:8578');
    expect(endpointFromAddress('[::]:8578').url).toBe('http://localhost:8578');
  });

  test('--mirror-url may name another host or https', () => {
    expect(endpointFromUrl('https://mirror.example:8443')).toEqual({ url: 'https://mirror.example:8443', authority: 'mirror.example:8443', plainHttp: false, loopback: false });
    expect(endpointFromUrl('mirror.lan:8578')).toMatchObject({ url: 'http://mirror.lan:8578', plainHttp: true, loopback: false });
  });

  test('refuses addresses and URLs clients cannot use', () => {
    expect(() => endpointFromAddress('8578')).toThrow('not a host:port address');
    expect(() => endpointFromUrl('http://localhost:8578/docker.io')).toThrow('host and port only');
    expect(() => endpointFromUrl('ftp://localhost')).toThrow('http(s) URL');
    expect(() => endpointFromUrl('http://user:pw@localhost:8578')).toThrow('host and port only');
  });

  test('a registry with a port becomes one path segment with _ for :', () => {
    expect(registryPathSegment('docker.io')).toBe('docker.io');
    expect(registryPathSegment('127.0.0.1:5000')).toBe('127.0.0.1_5000');
    expect(registryPathSegment('Registry.Example:443')).toBe('registry.example_443');
  });
});
