import { isIP } from 'node:net';

/**
 * Outbound safety: a webhook may only reach public addresses. Checked when an endpoint is saved and
 * again inside the connection's DNS lookup at send time, so the vetted address is the one connected
 * to and DNS rebinding cannot pass. An operator allowlist (exact addresses or CIDRs) can open holes.
 */
export class SsrfError extends Error {
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`${host} is not allowed: ${reason}`);
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address (injected, so tests never touch real DNS). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

type Range = { bytes: number[]; prefix: number; reason: string };

const v4 = (cidr: string, reason: string): Range => {
  const [ip, prefix] = cidr.split('/');
  return { bytes: ip.split('.').map(Number), prefix: Number(prefix), reason };
};
const v6 = (cidr: string, reason: string): Range => {
  const [ip, prefix] = cidr.split('/');
  return { bytes: [...(parseIpv6(ip) as number[])], prefix: Number(prefix), reason };
};

const BLOCKED_V4: Range[] = [
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'carrier-grade NAT'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local / cloud metadata'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'IETF protocol assignments'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.88.99.0/24', '6to4 relay'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

const BLOCKED_V6: Range[] = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('::/96', 'IPv4-compatible'),
  v6('100::/64', 'discard'),
  v6('2001:db8::/32', 'documentation'),
  v6('fc00::/7', 'unique local'),
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'site-local'),
  v6('ff00::/8', 'multicast'),
];

function inRange(bytes: number[], r: Range): boolean {
  if (bytes.length !== r.bytes.length) return false;
  let bits = r.prefix;
  for (let i = 0; i < bytes.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i] & mask) !== (r.bytes[i] & mask)) return false;
  }
  return true;
}

/** 16 bytes of an IPv6 address (with an optional embedded dotted IPv4 tail), or undefined. */
export function parseIpv6(input: string): number[] | undefined {
  let s = input.replace(/^\[|\]$/g, '').toLowerCase();
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (isIP(s) !== 6) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail = s
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = s.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').filter(Boolean) : []);
  const h = groups(head);
  const r = rest === undefined ? [] : groups(rest);
  const fill = s.includes('::') ? 8 - h.length - r.length : 0;
  const all = [...h, ...Array<string>(fill).fill('0'), ...r].map((g) => parseInt(g, 16));
  if (all.length !== 8) return undefined;
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** IPv4 embedded in an IPv6 address that routes to it (mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4). */
function embeddedIpv4(b: number[]): number[] | undefined {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return b.slice(12);
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6);
  return undefined;
}

/** Why an address is refused, or undefined when it is a public unicast address. */
export function blockedReason(address: string): string | undefined {
  const family = isIP(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  if (family === 4) {
    const bytes = address.split('.').map(Number);
    return BLOCKED_V4.find((r) => inRange(bytes, r))?.reason;
  }
  if (family === 6) {
    const bytes = parseIpv6(address);
    if (!bytes) return 'unparseable address';
    const inner = embeddedIpv4(bytes);
    if (inner) {
      const why = blockedReason(inner.join('.'));
      return why ? `IPv4-embedded ${why}` : undefined;
    }
    return BLOCKED_V6.find((r) => inRange(bytes, r))?.reason;
  }
  return 'not an IP address';
}

/** Operator allowlist: exact addresses or CIDRs (`127.0.0.1,::1,10.1.0.0/16`). */
export class Allowlist {
  private readonly ranges: Range[];

  constructor(entries: readonly string[]) {
    this.ranges = entries.flatMap((e) => {
      const [ip, prefix] = e.trim().split('/');
      if (isIP(ip) === 4)
        return [{ bytes: ip.split('.').map(Number), prefix: Number(prefix ?? 32), reason: '' }];
      const bytes = parseIpv6(ip);
      return bytes ? [{ bytes, prefix: Number(prefix ?? 128), reason: '' }] : [];
    });
  }

  allows(address: string): boolean {
    const bytes = isIP(address) === 4 ? address.split('.').map(Number) : parseIpv6(address);
    return !!bytes && this.ranges.some((r) => inRange(bytes, r));
  }
}

/** Throws SsrfError unless the address is public or allowlisted. */
export function assertAddressAllowed(host: string, address: string, allowlist: Allowlist): void {
  if (allowlist.allows(address)) return;
  const why = blockedReason(address);
  if (why) throw new SsrfError(host, `${address} is ${why}`);
}

/** The bare host of a URL (IPv6 brackets removed), after checking scheme and credentials. */
export function targetHost(url: string): { url: URL; host: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SsrfError(url, 'not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new SsrfError(parsed.host, 'only http and https are allowed');
  if (parsed.username || parsed.password)
    throw new SsrfError(parsed.host, 'credentials in URLs are not allowed');
  return { url: parsed, host: parsed.hostname.replace(/^\[|\]$/g, '') };
}

/**
 * Resolves and vets a host: an IP literal is checked as is; a name must resolve, and every address it
 * resolves to must pass (one private answer refuses the name). Returns the vetted addresses.
 */
export async function vetHost(
  host: string,
  resolve: Resolver,
  allowlist: Allowlist,
): Promise<ResolvedAddress[]> {
  const family = isIP(host);
  if (family) {
    assertAddressAllowed(host, host, allowlist);
    return [{ address: host, family: family as 4 | 6 }];
  }
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    throw new SsrfError(host, `does not resolve (${(err as Error).message})`);
  }
  if (addresses.length === 0) throw new SsrfError(host, 'does not resolve');
  for (const a of addresses) assertAddressAllowed(host, a.address, allowlist);
  return addresses;
}

/** `WEBHOOK_RESOLVE=host=ip,host2=ip`: fixed answers consulted before DNS (like curl --resolve). */
export function parseStaticHosts(entries: readonly string[]): Map<string, ResolvedAddress[]> {
  const map = new Map<string, ResolvedAddress[]>();
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq < 0) continue;
    const host = e.slice(0, eq).trim().toLowerCase();
    const address = e.slice(eq + 1).trim();
    const family = isIP(address);
    if (!host || !family) continue;
    map.set(host, [...(map.get(host) ?? []), { address, family: family as 4 | 6 }]);
  }
  return map;
}
