/** A small JSON client of the marketer API for the demo's command-line tools (loopback, Bearer JWT). */
export class DemoApiClient {
  private token = '';

  constructor(readonly baseUrl: string) {}

  async login(email: string, password: string): Promise<void> {
    const body = await this.call<{ accessToken: string }>('POST', '/api/auth/login', { email, password });
    this.token = body.accessToken;
  }

  /** Answers the parsed body; throws with the API's code and message on any status ≥ 400. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      const err = (parsed ?? {}) as { code?: string; message?: string };
      throw new DemoApiError(
        res.status,
        err.code ?? 'HTTP_ERROR',
        `${method} ${path}: ${res.status} ${err.code ?? ''} ${err.message ?? text}`,
      );
    }
    return parsed as T;
  }
}

export class DemoApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
