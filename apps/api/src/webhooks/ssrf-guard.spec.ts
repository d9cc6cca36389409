import {
  Allowlist,
  blockedReason,
  parseStaticHosts,
  Resolver,
  SsrfError,
  targetHost,
  vetHost,
} from './ssrf-guard';
import { pinnedLookup } from './pinned-lookup';

const none = new Allowlist([]);
const fixed =
  (answers: Record<string, string[]>): Resolver =>
  async (host) => {
    const a = answers[host];
    if (!a) throw new Error('ENOTFOUND');
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('blockedReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local / cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00:ec2::254', 'unique local'],
    ['fc00::1', 'unique local'],
    ['fe80::1', 'link-local / cloud metadata'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'IPv4-embedded loopback'],
    ['::ffff:7f00:1', 'IPv4-embedded loopback'],
    ['::ffff:a9fe:a9fe', 'IPv4-embedded link-local / cloud metadata'],
    ['64:ff9b::10.0.0.1', 'IPv4-embedded private'],
    ['2002:c0a8:0101::1', 'IPv4-embedded private'],
    ['[::1]', 'loopback'],
    ['fe80::1%eth0', 'link-local / cloud metadata'],
    // IPv4-translated (RFC 6145, ::ffff:0:0:0/96): the IPv4 it reaches decides.
    ['::ffff:0:127.0.0.1', 'IPv4-embedded loopback'],
    ['::ffff:0:7f00:1', 'IPv4-embedded loopback'],
    ['::ffff:0:a9fe:a9fe', 'IPv4-embedded link-local / cloud metadata'],
    ['::ffff:0:10.1.2.3', 'IPv4-embedded private'],
    // Local-use NAT64 (RFC 8215, 64:ff9b:1::/48): network-specific mapping, refused whatever it embeds.
    ['64:ff9b:1::7f00:1', 'rfc6052 (local-use NAT64)'],
    ['64:ff9b:1::808:808', 'rfc6052 (local-use NAT64)'],
    ['64:ff9b:1:ffff::1', 'rfc6052 (local-use NAT64)'],
    ['64:ff9b::7f00:1', 'IPv4-embedded loopback'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::a00:1', 'IPv4-compatible'],
    ['::8.8.8.8', 'IPv4-compatible'],
    ['2001::1', 'teredo'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'discard'],
    ['2001:2::1', 'benchmarking'],
    ['fec0::1', 'site-local'],
  ])('%s is refused (%s)', (ip, reason) => {
    expect(blockedReason(ip)).toBe(reason);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '::ffff:0:8.8.8.8',
    '64:ff9b::808:808',
  ])('%s is public', (ip) => expect(blockedReason(ip)).toBeUndefined());

  it('refuses things that are not addresses', () => {
    expect(blockedReason('example.com')).toBe('not an IP address');
  });
});

describe('Allowlist', () => {
  it('matches exact addresses and CIDRs of both families', () => {
    const list = new Allowlist(['127.0.0.1', '::1', '10.1.0.0/16']);
    expect(list.allows('127.0.0.1')).toBe(true);
    expect(list.allows('127.0.0.2')).toBe(false);
    expect(list.allows('::1')).toBe(true);
    expect(list.allows('10.1.200.3')).toBe(true);
    expect(list.allows('10.2.0.1')).toBe(false);
    expect(list.allows('::ffff:127.0.0.1')).toBe(true);
    expect(list.allows('::ffff:0:127.0.0.2')).toBe(false);
  });
});

describe('targetHost', () => {
  it('takes the bare host and refuses other schemes and credentials', () => {
    expect(targetHost('http://[::1]:8080/x').host).toBe('::1');
    expect(() => targetHost('file:///etc/passwd')).toThrow(SsrfError);
    expect(() => targetHost('http://user:pw@example.com')).toThrow(/credentials/);
    expect(() => targetHost('not a url')).toThrow(/valid URL/);
  });
});

describe('vetHost (injected resolver: never touches real DNS)', () => {
  const resolve = fixed({
    'intranet.example': ['10.0.0.7'],
    'mixed.example': ['93.184.215.14', '192.168.0.1'],
    'public.example': ['93.184.215.14'],
    'v6.example': ['::1'],
    'translated.example': ['::ffff:0:7f00:1'],
    'nat64.example': ['64:ff9b:1::a9fe:a9fe'],
    'second-answer.example': ['2606:4700::1111', '::ffff:0:169.254.169.254'],
  });

  it.each([
    ['127.0.0.1', /loopback/],
    ['169.254.169.254', /cloud metadata/],
    ['10.0.0.1', /private/],
    ['::1', /loopback/],
    ['intranet.example', /10\.0\.0\.7 is private/],
    ['mixed.example', /192\.168\.0\.1 is private/],
    ['v6.example', /loopback/],
    ['translated.example', /IPv4-embedded loopback/],
    ['nat64.example', /local-use NAT64/],
    ['second-answer.example', /IPv4-embedded link-local/],
    ['unknown.example', /does not resolve/],
  ])('refuses %s', async (host, why) => {
    await expect(vetHost(host, resolve, none)).rejects.toThrow(why);
  });

  it('passes public hosts and allowlisted addresses', async () => {
    await expect(vetHost('public.example', resolve, none)).resolves.toEqual([
      { address: '93.184.215.14', family: 4 },
    ]);
    await expect(vetHost('127.0.0.1', resolve, new Allowlist(['127.0.0.1']))).resolves.toHaveLength(1);
    await expect(vetHost('intranet.example', resolve, new Allowlist(['10.0.0.0/8']))).resolves.toHaveLength(
      1,
    );
  });
});

describe('pinnedLookup (the connection step itself)', () => {
  const call = (lookup: ReturnType<typeof pinnedLookup>, host: string, all = false) =>
    new Promise<{ err: Error | null; address?: unknown; family?: unknown }>((res) =>
      (lookup as unknown as (h: string, o: object, cb: (...a: unknown[]) => void) => void)(
        host,
        { all },
        (err, address, family) => res({ err: err as Error | null, address, family }),
      ),
    );

  it('hands the socket only a vetted address and refuses a rebinding answer', async () => {
    let answer = '93.184.215.14';
    const lookup = pinnedLookup(async () => [{ address: answer, family: 4 }], none);
    expect(await call(lookup, 'rebind.example')).toEqual({ err: null, address: '93.184.215.14', family: 4 });
    answer = '127.0.0.1'; // DNS now rebinds to loopback: the connect step fails, nothing is sent
    const refused = await call(lookup, 'rebind.example');
    expect(refused.err).toBeInstanceOf(SsrfError);
    expect(refused.address).toBeUndefined();
  });

  it.each([['::ffff:0:7f00:1'], ['64:ff9b:1::a9fe:a9fe'], ['::7f00:1']])(
    'refuses a name whose second answer is the internal %s, in both lookup forms',
    async (internal) => {
      const lookup = pinnedLookup(
        async () => [
          { address: '93.184.215.14', family: 4 },
          { address: internal, family: 6 },
        ],
        none,
      );
      for (const all of [false, true]) {
        const refused = await call(lookup, 'rebind.example', all);
        expect(refused.err).toBeInstanceOf(SsrfError);
        expect(refused.address).toBeUndefined();
      }
    },
  );

  it('answers the all-addresses form', async () => {
    const lookup = pinnedLookup(async () => [{ address: '93.184.215.14', family: 4 }], none);
    expect((await call(lookup, 'x.example', true)).address).toEqual([
      { address: '93.184.215.14', family: 4 },
    ]);
  });
});

describe('parseStaticHosts', () => {
  it('reads host=ip pairs and skips junk', () => {
    const map = parseStaticHosts(['a.test=10.0.0.1', 'a.test=::1', 'bad', 'b.test=nope']);
    expect(map.get('a.test')).toEqual([
      { address: '10.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(map.has('b.test')).toBe(false);
  });
});
