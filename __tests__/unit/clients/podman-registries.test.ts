import { parse } from 'smol-toml';
import { MalformedConfigError } from '../../../lib/clients/config-file';
import { endpointFromAddress, endpointFromUrl } from '../../../lib/clients/mirror-endpoint';
import { checkDropIn, renderRegistriesConf } from '../../../lib/clients/podman-registries';
import { fixture } from './fixtures';

const registries = [
  { host: 'docker.io', origin: 'https://registry-1.docker.io' },
  { host: '127.0.0.1:5000', origin: 'http://127.0.0.1:5000' },
];

describe('podman registries.conf.d drop-in', () => {
  test('one [[registry]] per declared registry, mirrored at <mirror>/<registry> with _ for :', () => {
    expect(renderRegistriesConf(registries, endpointFromAddress('127.0.0.1:8578'), 'mirror.runmd')).toBe(fixture('50-lifec-mirror.conf'));
  });

  test('an https mirror is not insecure; a plain-HTTP registry stays insecure for the fallback', () => {
    const parsed = parse(renderRegistriesConf(registries, endpointFromUrl('https://mirror.example:8443')));
    expect(parsed.registry).toEqual([
      { prefix: 'docker.io', location: 'docker.io', mirror: [{ location: 'mirror.example:8443/docker.io' }] },
      { prefix: '127.0.0.1:5000', location: '127.0.0.1:5000', insecure: true, mirror: [{ location: 'mirror.example:8443/127.0.0.1_5000' }] },
    ]);
  });

  test('tells its own file from a hand-written one, and refuses one that is not TOML', () => {
    expect(checkDropIn('/x.conf', fixture('50-lifec-mirror.conf'))).toBe(true);
    expect(checkDropIn('/x.conf', '[[registry]]\nprefix = "docker.io"\n')).toBe(false);
    expect(() => checkDropIn('/x.conf', '[[registry]\nprefix = ')).toThrow(MalformedConfigError);
    expect(() => checkDropIn('/x.conf', '[[registry]\nprefix = ')).toThrow(/^\/x.conf is not valid TOML \(.+\): fix it or move it aside \(nothing was written\)$/);
  });
});
