/**
 * The error catalogue. Codes are API: never renamed, never reused. Expected outcomes are values;
 * AgoraError is for rejected requests and I/O failures.
 */
export type ErrorCode =
  | 'INVALID_REQUEST'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_ACCEPTABLE'
  | 'METHOD_NOT_ALLOWED'
  | 'BODY_TOO_LARGE'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'STORE_CONFLICT'
  | 'NOT_LEADER'
  | 'UNAVAILABLE'
  | 'NOT_IMPLEMENTED'
  | 'INTERNAL';

const statusOf: Record<ErrorCode, number> = {
  INVALID_REQUEST: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_ACCEPTABLE: 406,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  NOT_FOUND: 404,
  FORBIDDEN: 403,
  CONFLICT: 409,
  STORE_CONFLICT: 409,
  NOT_LEADER: 307,
  UNAVAILABLE: 503,
  NOT_IMPLEMENTED: 501,
  INTERNAL: 500,
};

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

export class AgoraError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: JsonValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AgoraError';
    this.status = statusOf[code];
  }
}

export function invalid(message: string, details?: JsonValue): AgoraError {
  return new AgoraError('INVALID_REQUEST', message, details);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Exhaustiveness guard for discriminated unions. */
export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
