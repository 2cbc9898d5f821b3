/** Errors the SDK raises. Callers match them with `instanceof` and read the fields, never the message text. */

/** A call was answered with something other than its expected status (202, or 200 for UPDATE_FRAMEWORK). */
export class SchedulerCallError extends Error {
  constructor(
    readonly callType: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(`${callType} call failed: ${status}${body === '' ? '' : ` ${body.trim()}`}`);
    this.name = 'SchedulerCallError';
  }
}

/** A call was attempted while no subscription is open (before SUBSCRIBED, between re-subscriptions, after close). */
export class NotSubscribedError extends Error {
  constructor(callType: string) {
    super(`${callType} call needs an open subscription`);
    this.name = 'NotSubscribedError';
  }
}

/**
 * The subscription ended for good: the master sent an ERROR event (framework removed, failed over,
 * subscription refused) or refused the SUBSCRIBE with a status that retrying cannot fix. The client does not
 * re-subscribe after this.
 */
export class SubscriptionFatalError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SubscriptionFatalError';
  }
}
