import { MalformedConfigError } from '../../../lib/clients/config-file';
import { dockerFormForVersion, dockerMirrorUrl, mergeDaemonJson } from '../../../lib/clients/docker-daemon';
import { endpointFromAddress } from '../../../lib/clients/mirror-endpoint';
import { fixture } from './fixtures';

const FILE = '/etc/docker/daemon.json';
const endpoint = endpointFromAddress('localhost:8578');

describe('Docker daemon.json', () => {
  test('plain form for engines before 25 and unknown ones, path form from 25', () => {
    expect(dockerFormForVersion('Docker version 20.10.24+dfsg1, build 5d6db84\n')).toBe('plain');
    expect(dockerFormForVersion('Docker version 24.0.9, build 293681613')).toBe('plain');
    expect(dockerFormForVersion('Docker version 25.0.0, build e758fe5')).toBe('path');
    expect(dockerFormForVersion('Docker version 28.3.2, build e77ff99')).toBe('path');
    expect(dockerFormForVersion(undefined)).toBe('plain');
    expect(dockerFormForVersion('dockerd: command not found')).toBe('plain');
    expect(dockerMirrorUrl(endpoint, 'plain')).toBe('http://localhost:8578');
    expect(dockerMirrorUrl(endpoint, 'path')).toBe('http://localhost:8578/docker.io');
  });

  test('puts the mirror first, drops its other spelling, keeps every other key and mirror', () => {
    const merged = mergeDaemonJson(FILE, fixture('daemon.json'), 'http://localhost:8578', ['http://localhost:8578/docker.io']);
    expect(merged).toBe(fixture('daemon.merged.json'));
  });

  test('creates the file from nothing, or from an empty one', () => {
    const expected = '{\n  "registry-mirrors": [\n    "http://localhost:8578"\n  ]\n}\n';
    expect(mergeDaemonJson(FILE, undefined, 'http://localhost:8578', [])).toBe(expected);
    expect(mergeDaemonJson(FILE, '\n', 'http://localhost:8578', [])).toBe(expected);
  });

  test('returns the file untouched when the mirror is already first', () => {
    const text = '{"registry-mirrors":["http://localhost:8578","https://mirror.gcr.io"],"debug":true}';
    expect(mergeDaemonJson(FILE, text, 'http://localhost:8578', [])).toBe(text);
  });

  test('refuses a file that is not JSON, not an object, or has mirrors that are not URLs', () => {
    const refuse = (text: string) => () => mergeDaemonJson(FILE, text, 'http://localhost:8578', []);
    expect(refuse(fixture('daemon.malformed.json'))).toThrow(MalformedConfigError);
    expect(refuse(fixture('daemon.malformed.json'))).toThrow(/^\/etc\/docker\/daemon.json is not valid JSON \(.+\): fix it or move it aside \(nothing was written\)$/);
    expect(refuse('["http://localhost:8578"]')).toThrow('/etc/docker/daemon.json is not a JSON object');
    expect(refuse('{"registry-mirrors":"http://localhost:8578"}')).toThrow('"registry-mirrors" that is not a list of URLs');
  });
});
