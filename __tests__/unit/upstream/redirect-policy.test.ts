import { addressRange, redirectTargetAllowed } from '../../../lib/upstream/address-range';
import { redirectTarget, UpstreamRefusal } from '../../../lib/upstream/redirect-policy';

describe('addressRange', () => {
  it.each([
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['127.0.0.53', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private-10'],
    ['172.31.0.1', 'private-172'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private-192'],
    ['100.64.0.1', 'shared-100'],
    ['fd00:ec2::254', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['203.0.113.9', 'public'],
    ['2001:db8::1', 'public'],
  ])('%s is %s', (address, range) => {
    expect(addressRange(address)).toBe(range);
  });
  it('is undefined for a name', () => {
    expect(addressRange('registry.example')).toBeUndefined();
  });
});

describe('redirectTargetAllowed', () => {
  it('never allows link-local or unspecified targets, whatever the upstream', () => {
    for (const upstream of ['169.254.1.1', '127.0.0.1', '10.0.0.1', '203.0.113.1', undefined]) {
      expect(redirectTargetAllowed('169.254.169.254', upstream)).toBe(false);
      expect(redirectTargetAllowed('fe80::1', upstream)).toBe(false);
      expect(redirectTargetAllowed('0.0.0.0', upstream)).toBe(false);
    }
  });
  it('allows loopback and private targets only to an upstream in the same range', () => {
    expect(redirectTargetAllowed('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(redirectTargetAllowed('127.0.0.1', '203.0.113.1')).toBe(false);
    expect(redirectTargetAllowed('127.0.0.1', undefined)).toBe(false);
    expect(redirectTargetAllowed('10.2.0.1', '10.0.0.5')).toBe(true);
    expect(redirectTargetAllowed('192.168.0.1', '10.0.0.5')).toBe(false);
    expect(redirectTargetAllowed('fd00:ec2::254', '203.0.113.1')).toBe(false);
  });
  it('allows public targets', () => {
    expect(redirectTargetAllowed('203.0.113.7', '127.0.0.1')).toBe(true);
  });
});

describe('redirectTarget', () => {
  const from = new URL('https://registry.example/v2/a/blobs/sha256:x');
  it('resolves a relative Location', () => {
    expect(redirectTarget(from, '/storage/b', 'registry.example').href).toBe('https://registry.example/storage/b');
  });
  it.each([
    ['http://storage.example/b', /from https to http/],
    ['ftp://storage.example/b', /unsupported URL scheme ftp:/],
    ['file:///etc/passwd', /unsupported URL scheme file:/],
    ['https://user:pass@storage.example/b', /credentials in it/],
    ['https://user@storage.example/b', /credentials in it/],
    ['http://[::1', /invalid URL/],
  ])('refuses %s', (location, message) => {
    const attempt = () => redirectTarget(from, location, 'registry.example');
    expect(attempt).toThrow(UpstreamRefusal);
    expect(attempt).toThrow(message);
  });
  it('allows http to https', () => {
    expect(redirectTarget(new URL('http://r.example/x'), 'https://s.example/y', 'r.example').protocol).toBe('https:');
  });
});
