import { useAuthStore } from '../state/auth-store';
import type { Schema } from './contract';

/** The API's error body: `{statusCode, code, message, path?}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type TokenResponse = Schema<'TokenResponse'>;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  body?: unknown;
  /** Skip the bearer token and the refresh-and-retry (auth endpoints). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

let refreshing: Promise<boolean> | null = null;

/**
 * Exchanges the http-only refresh cookie for a new access token. Concurrent callers share one request,
 * because refresh tokens rotate and a second use of the old one would fail.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const tokens = await request<TokenResponse>('POST', '/api/auth/refresh', { body: {}, anonymous: true });
      useAuthStore.getState().setAccessToken(tokens.accessToken);
      return true;
    } catch {
      useAuthStore.getState().clear();
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function toApiError(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const record = (body ?? {}) as { code?: unknown; message?: unknown; path?: unknown };
  const message =
    typeof record.message === 'string'
      ? record.message
      : Array.isArray(record.message)
        ? record.message.join(', ')
        : `${response.status} ${response.statusText || 'request failed'}`;
  if (response.status === 429 && !record.message) {
    const retry = response.headers.get('retry-after');
    return new ApiError(429, 'RATE_LIMITED', `Too many attempts. Try again in ${retry ?? 'a few'} seconds.`);
  }
  return new ApiError(
    response.status,
    typeof record.code === 'string' ? record.code : `HTTP_${response.status}`,
    message,
    typeof record.path === 'string' ? record.path : undefined,
    body,
  );
}

export async function request<T>(
  method: Method,
  url: string,
  options: RequestOptions = {},
  retried = false,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const token = useAuthStore.getState().accessToken;
  if (!options.anonymous && token) headers.authorization = `Bearer ${token}`;

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(
      0,
      'NETWORK_ERROR',
      'Cannot reach the Nudgeflow server. Check your connection and try again.',
    );
  }

  if (response.status === 401 && !options.anonymous && !retried) {
    // TOKEN_EXPIRED is the usual case; any 401 gets one refresh-and-retry, and a failed refresh signs out.
    if (await refreshSession()) return request<T>(method, url, options, true);
    throw await toApiError(response);
  }
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(url: string, signal?: AbortSignal) => request<T>('GET', url, { signal }),
  post: <T>(url: string, body?: unknown) => request<T>('POST', url, { body: body ?? {} }),
  put: <T>(url: string, body: unknown) => request<T>('PUT', url, { body }),
  patch: <T>(url: string, body: unknown) => request<T>('PATCH', url, { body }),
  delete: <T = void>(url: string) => request<T>('DELETE', url),
};

/** Words for any thrown value, for banners and toasts. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

export const enc = encodeURIComponent;
