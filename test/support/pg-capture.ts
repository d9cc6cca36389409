import { createConnection, createServer, Server, Socket } from 'node:net';

/** One statement a client ran, with the parameters of its Bind (text, or a Buffer when sent binary). */
export interface CapturedStatement {
  sql: string;
  params: (string | Buffer | null)[];
}

export interface PgCapture {
  /** Point the process under test here: `postgres://…@127.0.0.1:${port}/db`. */
  port: number;
  statements: CapturedStatement[];
  close: () => Promise<void>;
}

/**
 * A loopback TCP proxy in front of PostgreSQL that records what clients run: simple queries ('Q') and
 * extended-protocol statements ('P' parse, then each 'B' bind with its parameters). Bytes are forwarded
 * unchanged, so the process under test sees its own server. Lets a Citus test EXPLAIN exactly the SQL
 * the application sends, with the values it sent, instead of a copy that could drift.
 */
export async function startPgCapture(target: { host: string; port: number }): Promise<PgCapture> {
  const statements: CapturedStatement[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(target.port, target.host);
    sockets.add(client).add(upstream);
    const parsed = new Map<string, string>();
    let buf = Buffer.alloc(0);
    let started = false;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          // Startup or SSLRequest: int32 length, no type byte.
          if (buf.length < 4) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code !== 80877103) started = true;
          continue;
        }
        if (buf.length < 5) return;
        const type = String.fromCharCode(buf[0]);
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type === 'Q') statements.push({ sql: cstring(body, 0)[0], params: [] });
        else if (type === 'P') {
          const [name, at] = cstring(body, 0);
          parsed.set(name, cstring(body, at)[0]);
        } else if (type === 'B') statements.push(readBind(body, parsed));
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as { port: number };
  return {
    port,
    statements,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

function cstring(b: Buffer, at: number): [string, number] {
  const end = b.indexOf(0, at);
  return [b.toString('utf8', at, end), end + 1];
}

function readBind(body: Buffer, parsed: Map<string, string>): CapturedStatement {
  let [, at] = cstring(body, 0); // portal
  const [stmt, after] = cstring(body, at);
  at = after;
  const nFormats = body.readInt16BE(at);
  at += 2;
  const formats: number[] = [];
  for (let i = 0; i < nFormats; i++, at += 2) formats.push(body.readInt16BE(at));
  const nParams = body.readInt16BE(at);
  at += 2;
  const params: (string | Buffer | null)[] = [];
  for (let i = 0; i < nParams; i++) {
    const len = body.readInt32BE(at);
    at += 4;
    if (len < 0) {
      params.push(null);
      continue;
    }
    const raw = body.subarray(at, at + len);
    at += len;
    const binary = (nFormats === 1 ? formats[0] : formats[i]) === 1;
    params.push(binary ? Buffer.from(raw) : raw.toString('utf8'));
  }
  return { sql: parsed.get(stmt) ?? '', params };
}
