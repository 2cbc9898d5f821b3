/**
 * Marathon's error bodies (spec §1.5) as values: each `ApiError` carries the HTTP status and the exact JSON
 * body upstream sends, so routes just throw and the error handler serialises.
 */
export interface ErrorDetail {
  readonly path: string;
  readonly errors: readonly string[];
}

export type ErrorBody = { readonly message: string; readonly details?: readonly ErrorDetail[] | string; readonly deployments?: readonly { id: string }[] };

/** An HTTP error with upstream's status and body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

/** 400 for unparsable JSON; `details` is the parser's message string. */
export function invalidJson(parserMessage: string): ApiError {
  return new ApiError(400, { message: 'Invalid JSON', details: parserMessage });
}

/** 422 for a JSON shape error (missing field, wrong type). */
export function shapeError(details: readonly ErrorDetail[]): ApiError {
  return new ApiError(422, { message: 'Invalid JSON', details });
}

/** 422 for a semantic validation failure. */
export function notValid(details: readonly ErrorDetail[]): ApiError {
  return new ApiError(422, { message: 'Object is not valid', details });
}

export function appNotFound(id: string): ApiError {
  return new ApiError(404, { message: `App '${id}' does not exist` });
}

export function appExists(id: string): ApiError {
  return new ApiError(409, { message: `An app with id [${id}] already exists.` });
}

/** 409 when the app is locked by running deployments and `force` was not given. */
export function appLocked(deploymentIds: readonly string[]): ApiError {
  const first = deploymentIds[0] ?? '';
  return new ApiError(409, {
    message: `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/${first}'.`,
    deployments: deploymentIds.map((id) => ({ id })),
  });
}

/** Groups violations by path, keeping first-seen order (upstream groups them the same way). */
export function groupDetails(list: readonly { path: string; error: string }[]): ErrorDetail[] {
  const byPath = new Map<string, string[]>();
  for (const v of list) {
    const errs = byPath.get(v.path) ?? [];
    if (!errs.includes(v.error)) errs.push(v.error);
    byPath.set(v.path, errs);
  }
  return [...byPath].map(([path, errors]) => ({ path, errors }));
}

/** 403 when a change would start more than `--max_running_deployments` deployments (spec §1.5). */
export function tooManyDeployments(max: number): ApiError {
  return new ApiError(403, { message: `Max number (${max}) of running deployments is achieved. Wait for existing deployments to complete or cancel them, or raise --max_running_deployments.` });
}
