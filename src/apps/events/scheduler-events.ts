/**
 * The framework-level events of the spec §4.13 catalog, published from the scheduler SDK's callbacks:
 * scheduler_registered_event (first subscription of this process/leadership term), scheduler_reregistered_event
 * (every later one, e.g. after a master failover or a dropped stream), scheduler_disconnected_event (a
 * subscribed stream was lost; failed re-subscription attempts publish nothing more), framework_message_event
 * (an executor's message, its bytes as a JSON array of numbers as upstream).
 */
import type { MasterInfoJson } from '../../api/mesos/common.js';
import type { EventBus } from './bus.js';

/** Upstream publishes `master.getHostname`; Agora masters may leave it unset, so fall back to the address. */
function masterHost(m: MasterInfoJson): string {
  return m.hostname ?? m.address?.hostname ?? m.address?.ip ?? '';
}

/** Callbacks to call from the SDK's onSubscribed / onDisconnected / onMessage. */
export interface SchedulerEventPublisher {
  subscribed(frameworkId: string, master: MasterInfoJson): void;
  disconnected(): void;
  message(agentId: string, executorId: string, data: Uint8Array): void;
}

export function schedulerEvents(bus: EventBus): SchedulerEventPublisher {
  let registered = false;
  let connected = false;
  return {
    subscribed(frameworkId, master) {
      const host = masterHost(master);
      if (registered) bus.publish('scheduler_reregistered_event', { master: host });
      else bus.publish('scheduler_registered_event', { frameworkId, master: host });
      registered = true;
      connected = true;
    },
    disconnected() {
      if (!connected) return;
      connected = false;
      bus.publish('scheduler_disconnected_event');
    },
    message(agentId, executorId, data) {
      bus.publish('framework_message_event', { slaveId: agentId, executorId, message: [...data] });
    },
  };
}
