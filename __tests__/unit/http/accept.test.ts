import { accepts } from '../../../lib/http/accept';

const OCI = 'application/vnd.oci.image.manifest.v1+json';

describe('accepts', () => {
  it('admits an exact type, a type wildcard, */* and no header', () => {
    expect(accepts(`application/vnd.docker.distribution.manifest.v2+json, ${OCI}`, OCI)).toBe(true);
    expect(accepts('application/*', OCI)).toBe(true);
    expect(accepts('*/*', OCI)).toBe(true);
    expect(accepts(undefined, OCI)).toBe(true);
  });

  it('refuses a type not listed and a q=0 entry', () => {
    expect(accepts('application/vnd.docker.distribution.manifest.v2+json', OCI)).toBe(false);
    expect(accepts(`${OCI};q=0, text/plain`, OCI)).toBe(false);
  });
});
