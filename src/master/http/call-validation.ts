/**
 * Pure scheduler Call validation that precedes dispatch (spec §2.2, step 8 of §1.5). Returns the
 * message that follows `Failed to validate scheduler::Call: `, or undefined when the call is valid.
 */
import type { SchedulerCallJson } from '../../api/mesos/scheduler.js';
import { assertNever } from '../../core/errors.js';

function present(v: unknown, name: string): string | undefined {
  return v === undefined ? `Expecting '${name}' to be present` : undefined;
}

function uuid16(uuid: string): string | undefined {
  return Buffer.from(uuid, 'base64').length === 16 ? undefined : `Invalid UUID '${uuid}': expecting 16 bytes`;
}

/** Validates a decoded Call; undefined when valid. */
export function validateCall(call: SchedulerCallJson): string | undefined {
  const type = call.type;
  if (type === undefined) return "Expecting 'type' to be present";
  if (type === 'SUBSCRIBE') {
    if (call.subscribe === undefined) return "Expecting 'subscribe' to be present";
    const fid = call.framework_id?.value;
    const infoId = call.subscribe.framework_info.id?.value;
    if (fid !== infoId) return "'framework_id' differs from 'subscribe.framework_info.id'";
    return undefined;
  }
  if (call.framework_id === undefined) return "Expecting 'framework_id' to be present";
  switch (type) {
    case 'UNKNOWN':
    case 'TEARDOWN':
    case 'REVIVE':
    case 'SUPPRESS':
      return undefined;
    case 'ACCEPT':
      return present(call.accept, 'accept');
    case 'DECLINE':
      return present(call.decline, 'decline');
    case 'ACCEPT_INVERSE_OFFERS':
      return present(call.accept_inverse_offers, 'accept_inverse_offers');
    case 'DECLINE_INVERSE_OFFERS':
      return present(call.decline_inverse_offers, 'decline_inverse_offers');
    case 'KILL':
      return present(call.kill, 'kill');
    case 'SHUTDOWN':
      return present(call.shutdown, 'shutdown');
    case 'ACKNOWLEDGE':
      return present(call.acknowledge, 'acknowledge') ?? uuid16(call.acknowledge?.uuid ?? '');
    case 'ACKNOWLEDGE_OPERATION_STATUS': {
      const a = call.acknowledge_operation_status;
      if (a === undefined) return "Expecting 'acknowledge_operation_status' to be present";
      if (a.agent_id === undefined) return "Expecting 'agent_id' to be present";
      return uuid16(a.uuid);
    }
    case 'RECONCILE':
      return present(call.reconcile, 'reconcile');
    case 'RECONCILE_OPERATIONS':
      return present(call.reconcile_operations, 'reconcile_operations');
    case 'MESSAGE':
      return present(call.message, 'message');
    case 'REQUEST':
      return present(call.request, 'request');
    case 'UPDATE_FRAMEWORK': {
      const u = call.update_framework;
      if (u === undefined) return "Expecting 'update_framework' to be present";
      if (u.framework_info.id?.value !== call.framework_id.value) return "'framework_id' differs from 'update_framework.framework_info.id'";
      return undefined;
    }
    default:
      return assertNever(type, 'call type');
  }
}
