import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');

export const uuidToHex = (uuid: string): string => uuid.replace(/-/g, '');

export const hexToUuid = (hex: string): string =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
