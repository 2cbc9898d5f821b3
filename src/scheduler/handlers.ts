/**
 * Typed per-event callbacks. `dispatchEvent` calls `onEvent` first, then the handler for the event's
 * type; the client awaits both before reading the next event, so handlers never interleave.
 */
import type { MasterInfoJson, OfferJson, TaskStatusJson } from '../api/mesos/common.js';
import type { SchedulerEvent } from '../api/mesos/scheduler.js';

type Ret = void | Promise<void>;

export interface SubscribedInfo {
  readonly frameworkId: string;
  readonly heartbeatIntervalSeconds: number;
  readonly masterInfo: MasterInfoJson;
}

export interface SchedulerHandlers {
  /** Every event, in stream order, before its typed handler. */
  readonly onEvent?: (event: SchedulerEvent) => Ret;
  /** Each successful (re-)subscription. */
  readonly onSubscribed?: (info: SubscribedInfo) => Ret;
  readonly onOffers?: (offers: readonly OfferJson[]) => Ret;
  readonly onInverseOffers?: (inverseOffers: readonly unknown[]) => Ret;
  readonly onRescind?: (offerId: string) => Ret;
  readonly onRescindInverseOffer?: (inverseOfferId: string) => Ret;
  /** A task status; acknowledge it (client.acknowledgeUpdate) once handled when it carries a uuid. */
  readonly onUpdate?: (status: TaskStatusJson) => Ret;
  readonly onOperationStatus?: (status: unknown) => Ret;
  readonly onMessage?: (agentId: string, executorId: string, data: Buffer) => Ret;
  readonly onFailure?: (failure: { agentId?: string; executorId?: string; status?: number }) => Ret;
  /** ERROR event: the subscription is over for good (removed, failed over, refused); no re-subscription follows. */
  readonly onError?: (message: string) => Ret;
  readonly onHeartbeat?: () => Ret;
  /** The stream was lost (ended, errored or went silent); the client re-subscribes after a back-off. */
  readonly onDisconnected?: (reason: string) => Ret;
}

/** Calls the handlers of one event. Unknown event types reach only `onEvent`. */
export async function dispatchEvent(h: SchedulerHandlers, event: SchedulerEvent): Promise<void> {
  await h.onEvent?.(event);
  switch (event.type) {
    case 'SUBSCRIBED':
      await h.onSubscribed?.({
        frameworkId: event.subscribed.framework_id.value,
        heartbeatIntervalSeconds: event.subscribed.heartbeat_interval_seconds,
        masterInfo: event.subscribed.master_info,
      });
      return;
    case 'OFFERS':
      await h.onOffers?.(event.offers.offers ?? []);
      return;
    case 'INVERSE_OFFERS':
      await h.onInverseOffers?.(event.inverse_offers.inverse_offers ?? []);
      return;
    case 'RESCIND':
      await h.onRescind?.(event.rescind.offer_id.value);
      return;
    case 'RESCIND_INVERSE_OFFER':
      await h.onRescindInverseOffer?.(event.rescind_inverse_offer.inverse_offer_id.value);
      return;
    case 'UPDATE':
      await h.onUpdate?.(event.update.status);
      return;
    case 'UPDATE_OPERATION_STATUS':
      await h.onOperationStatus?.(event.update_operation_status.status);
      return;
    case 'MESSAGE':
      await h.onMessage?.(event.message.agent_id.value, event.message.executor_id.value, Buffer.from(event.message.data, 'base64'));
      return;
    case 'FAILURE': {
      const f = event.failure;
      await h.onFailure?.({
        ...(f.agent_id ? { agentId: f.agent_id.value } : {}),
        ...(f.executor_id ? { executorId: f.executor_id.value } : {}),
        ...(f.status !== undefined ? { status: f.status } : {}),
      });
      return;
    }
    case 'ERROR':
      await h.onError?.(event.error.message);
      return;
    case 'HEARTBEAT':
      await h.onHeartbeat?.();
      return;
    default:
      // A type this SDK does not know yet (newer master): onEvent already saw it.
      return;
  }
}
