/** The framework SDK: what apps, jobs, `agora execute` and users' own frameworks build on. */
export { SchedulerClient, schedulerUrl, DEFAULT_RESUBSCRIBE_BACKOFF, MISSED_HEARTBEATS } from './client.js';
export type { SchedulerClientOptions, SubscribeOptions } from './client.js';
export type { SchedulerHandlers, SubscribedInfo } from './handlers.js';
export { SchedulerCallError, NotSubscribedError, SubscriptionFatalError } from './errors.js';
export { offerContains, offerResources, taskResourcesFromOffer, flatten } from './offer-match.js';
export { launchOperation, subscribeCall, type ReconcileTask } from './calls.js';
export { EventQueue } from './event-queue.js';
