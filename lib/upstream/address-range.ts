import net from 'node:net';

/**
 * The special-purpose ranges a redirect target is judged by (IANA IPv4 and
 * IPv6 Special-Purpose Address Registries, RFC 6890). `public` is everything else.
 */
export type AddressRange =
  | 'unspecified'
  | 'loopback'
  | 'link-local'
  | 'multicast'
  | 'private-10'
  | 'private-172'
  | 'private-192'
  | 'shared-100'
  | 'unique-local'
  | 'public';

const V4_RANGES: ReadonlyArray<[AddressRange, string, number]> = [
  ['unspecified', '0.0.0.0', 8],
  ['loopback', '127.0.0.0', 8],
  // 169.254.169.254 (the cloud metadata service) lives here.
  ['link-local', '169.254.0.0', 16],
  ['private-10', '10.0.0.0', 8],
  ['private-172', '172.16.0.0', 12],
  ['private-192', '192.168.0.0', 16],
  // Carrier-grade NAT (RFC 6598): not routed on the internet either.
  ['shared-100', '100.64.0.0', 10],
  ['multicast', '224.0.0.0', 4],
  ['multicast', '240.0.0.0', 4],
];

const V6_RANGES: ReadonlyArray<[AddressRange, string, number]> = [
  ['unspecified', '::', 128],
  ['loopback', '::1', 128],
  ['link-local', 'fe80::', 10],
  // fd00:ec2::254 (AWS's IPv6 metadata address) lives here.
  ['unique-local', 'fc00::', 7],
  ['multicast', 'ff00::', 8],
];

const blocks = (() => {
  const byRange = V4_RANGES.map(([range, address, prefix]) => {
    const block = new net.BlockList();
    block.addSubnet(address, prefix, 'ipv4');
    return { range, block, family: 'ipv4' as 'ipv4' | 'ipv6' };
  });
  for (const [range, address, prefix] of V6_RANGES) {
    const block = new net.BlockList();
    block.addSubnet(address, prefix, 'ipv6');
    byRange.push({ range, block, family: 'ipv6' as const });
  }
  return byRange;
})();

/** The range of an IP address (IPv4-mapped IPv6 addresses count as IPv4); `undefined` for a name. */
export function addressRange(address: string): AddressRange | undefined {
  const bare = address.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  const ip = mapped ?? bare;
  const family = net.isIPv4(ip) ? 'ipv4' : net.isIPv6(ip) ? 'ipv6' : undefined;
  if (!family) return undefined;
  for (const { range, block, family: f } of blocks) {
    if (f === family && block.check(ip, family)) return range;
  }
  return 'public';
}

/**
 * Whether a redirect may lead to `target` when the upstream itself was
 * reached at `upstream` (an address, or `undefined` when unknown). Link-local
 * (the metadata service), unspecified and multicast addresses never; loopback
 * and private ranges only for an upstream in that same range (a registry on
 * the node or the LAN redirecting to its own storage), so a registry on the
 * internet cannot point the mirror at the node or its network.
 */
export function redirectTargetAllowed(target: string, upstream: string | undefined): boolean {
  const range = addressRange(target);
  if (range === undefined || range === 'link-local' || range === 'unspecified' || range === 'multicast') return false;
  if (range === 'public') return true;
  return upstream !== undefined && addressRange(upstream) === range;
}
