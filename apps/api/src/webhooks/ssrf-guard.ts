import ipaddr from 'ipaddr.js';
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

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * Ranges of ipaddr.js that are tunnels or translators carrying an IPv4 address inside IPv6: the
 * address is judged by the IPv4 it reaches. Local-use NAT64 (`64:ff9b:1::/48`, RFC 8215) is not in
 * this list: its mapping is network-specific, so it is refused as a whole.
 */
const EMBEDDING_RANGES = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052', '6to4']);

/** Deprecated IPv4-compatible form (`::a.b.c.d`, RFC 4291 §2.5.5.1), which ipaddr.js calls unicast. */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');
const LOCAL_USE_NAT64 = ipaddr.parseCIDR('64:ff9b:1::/48');

/**
 * An IP literal (IPv6 brackets and zone allowed), or undefined. IPv6 goes through the WHATWG URL
 * serialiser first (hex groups only): ipaddr.js reads any dotted tail as IPv4-mapped (`::127.0.0.1`
 * would pass as `::ffff:7f00:1`), and the zone does not change what an address is.
 */
function parseAddress(input: string): Address | undefined {
  const bare = input.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (!family) return undefined;
  try {
    return ipaddr.parse(family === 6 ? new URL(`http://[${bare}]/`).hostname.slice(1, -1) : bare);
  } catch {
    return undefined;
  }
}

/** The IPv4 address a tunnelling/translating IPv6 address routes to. */
function embeddedIpv4(a: ipaddr.IPv6, range: string): ipaddr.IPv4 | undefined {
  if (range === 'ipv4Mapped') return a.toIPv4Address();
  const b = a.toByteArray();
  if (range === '6to4') return new ipaddr.IPv4(b.slice(2, 6));
  if (range === 'rfc6145') return new ipaddr.IPv4(b.slice(12, 16));
  if (range === 'rfc6052' && !a.match(LOCAL_USE_NAT64)) return new ipaddr.IPv4(b.slice(12, 16));
  return undefined;
}

/**
 * Why an address is refused, or undefined when it is a public unicast address. Classified by
 * ipaddr.js's special-purpose ranges (IANA registries): anything but `unicast` is refused, and
 * IPv6 forms that carry an IPv4 address are judged by that address.
 */
export function blockedReason(address: string): string | undefined {
  const parsed = parseAddress(address);
  if (!parsed)
    return isIP(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''))
      ? 'unparseable address'
      : 'not an IP address';
  const range = parsed.range();
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (EMBEDDING_RANGES.has(range)) {
      const inner = embeddedIpv4(v6, range);
      if (!inner) return `${range} (local-use NAT64)`;
      const why = blockedReason(inner.toString());
      return why ? `IPv4-embedded ${why}` : undefined;
    }
    if (range === 'unicast' && v6.match(IPV4_COMPATIBLE)) return 'IPv4-compatible';
  }
  return range === 'unicast' ? undefined : (REASONS[range] ?? range);
}

/** Readable names of some of ipaddr.js's ranges (others are shown as named there). */
const REASONS: Record<string, string> = {
  linkLocal: 'link-local / cloud metadata',
  carrierGradeNat: 'carrier-grade NAT',
  uniqueLocal: 'unique local',
  deprecatedSiteLocal: 'site-local',
};

/** Operator allowlist: exact addresses or CIDRs (`127.0.0.1,::1,10.1.0.0/16`). */
export class Allowlist {
  private readonly ranges: [Address, number][];

  constructor(entries: readonly string[]) {
    this.ranges = entries.flatMap((e): [Address, number][] => {
      const entry = e.trim();
      if (!entry) return [];
      try {
        return [
          entry.includes('/')
            ? ipaddr.parseCIDR(entry)
            : ipaddr.parseCIDR(`${entry}/${isIP(entry) === 4 ? 32 : 128}`),
        ];
      } catch {
        return [];
      }
    });
  }

  allows(address: string): boolean {
    const parsed = parseAddress(address);
    if (!parsed) return false;
    // An IPv4-mapped IPv6 answer is the IPv4 address it maps (sockets report both forms).
    const candidates: Address[] = [parsed];
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
      candidates.push((parsed as ipaddr.IPv6).toIPv4Address());
    return candidates.some((a) =>
      this.ranges.some(([net, bits]) => a.kind() === net.kind() && a.match([net, bits] as never)),
    );
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
