import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Allowlist, Resolver, vetHost } from './ssrf-guard';

/** System DNS (all addresses), after the operator's fixed answers. */
export function makeResolver(
  staticHosts: ReadonlyMap<string, { address: string; family: 4 | 6 }[]>,
): Resolver {
  return async (hostname) => {
    const fixed = staticHosts.get(hostname.toLowerCase());
    if (fixed) return fixed;
    return new Promise((res, rej) =>
      dnsLookup(hostname, { all: true }, (err, addresses: LookupAddress[]) =>
        err ? rej(err) : res(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }))),
      ),
    );
  };
}

/**
 * The connection's own lookup: resolves, vets every answer, and hands the socket the vetted address,
 * so what was checked is exactly what is connected to (no rebinding between check and connect).
 */
export function pinnedLookup(resolve: Resolver, allowlist: Allowlist): LookupFunction {
  return ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    vetHost(hostname, resolve, allowlist).then(
      (addresses) => {
        if (options?.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (err: Error) => callback(err),
    );
  }) as unknown as LookupFunction;
}
