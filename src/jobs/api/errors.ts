/**
 * Errors the Chronos API answers with: upstream's status codes (400 for invalid input and unknown jobs,
 * 409 for a delete refused because of children, 500 otherwise) and the v3 JSON body shape with a one-line
 * message instead of a stack trace (spec §1).
 */
export type JobsErrorStatus = 400 | 404 | 409 | 500 | 503;

const STATUS_TEXT: Record<JobsErrorStatus, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export class JobsError extends Error {
  constructor(
    readonly status: JobsErrorStatus,
    message: string,
  ) {
    super(message);
    this.name = 'JobsError';
  }

  /** `{"status":"Bad Request","message":"…"}`. */
  body(): { status: string; message: string } {
    return { status: STATUS_TEXT[this.status], message: this.message };
  }
}

export const badRequest = (message: string): JobsError => new JobsError(400, message);
