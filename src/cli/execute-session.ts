/**
 * The `agora execute` framework: subscribe, launch one task into the first offer that fits (one ACCEPT with
 * one LAUNCH), decline and suppress every other offer, print and acknowledge updates, optionally kill the task
 * `killAfterMs` after TASK_RUNNING, and on a terminal state TEARDOWN the framework and return the exit code.
 */
import type { TaskInfoJson, TaskStatusJson, OfferJson } from '../api/mesos/common.js';
import type { Clock, Timer } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import type { Logger } from '../core/log.js';
import type { Resources } from '../core/resources.js';
import { errorMessage } from '../core/errors.js';
import { SchedulerClient, SubscriptionFatalError, taskResourcesFromOffer } from '../scheduler/index.js';
import { commandInfoFor, exitCodeFor, frameworkInfoFor, statusLines, type ExecuteSpec } from './execute-task.js';

export interface ExecuteRun {
  readonly master: string;
  readonly spec: ExecuteSpec;
  readonly resources: Resources;
  readonly killAfterMs: number | undefined;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly logger: Logger;
  /** Where the user-facing lines go (stdout in the CLI). */
  readonly out: (line: string) => void;
  /** Aborting (Ctrl-C) tears the framework down and returns 130. */
  readonly signal?: AbortSignal;
}

/** Runs the framework to completion; always tears it down once it was subscribed. */
export async function runExecute(run: ExecuteRun): Promise<number> {
  const { spec, out, clock } = run;
  const client = new SchedulerClient({ master: run.master, clock, rng: run.rng, logger: run.logger });
  let launched = false;
  let killTimer: Timer | undefined;
  let finish: (code: number) => void = () => undefined;
  const result = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const onAbort = (): void => finish(130);
  run.signal?.addEventListener('abort', onAbort, { once: true });

  const taskFor = (offer: OfferJson): TaskInfoJson | undefined => {
    const resources = taskResourcesFromOffer(offer, run.resources, spec.role);
    if (resources === undefined) return undefined;
    return { name: spec.name, task_id: { value: spec.name }, agent_id: offer.agent_id, resources, command: commandInfoFor(spec) };
  };

  const onOffers = async (offers: readonly OfferJson[]): Promise<void> => {
    for (const offer of offers) {
      const task = launched ? undefined : taskFor(offer);
      try {
        if (task !== undefined) {
          launched = true;
          await client.launch([offer.id.value], [task]);
          out(`Submitted task '${spec.name}' to agent '${offer.agent_id.value}'`);
        } else {
          await client.decline([offer.id.value]);
          await client.suppress();
        }
      } catch (e: unknown) {
        if (task !== undefined) launched = false;
        out(`Failed to answer offer '${offer.id.value}': ${errorMessage(e)}`);
      }
    }
  };

  const onUpdate = async (status: TaskStatusJson): Promise<void> => {
    for (const line of statusLines(status)) out(line);
    try {
      await client.acknowledgeUpdate(status);
    } catch (e: unknown) {
      run.logger.warn({ err: errorMessage(e), taskId: status.task_id.value }, 'acknowledgement failed');
    }
    if (status.task_id.value !== spec.name) return;
    if (status.state === 'TASK_RUNNING' && run.killAfterMs !== undefined && killTimer === undefined) {
      const agentId = status.agent_id?.value;
      killTimer = clock.after(run.killAfterMs, () => {
        client.kill(spec.name, agentId).catch((e: unknown) => out(`Failed to kill task '${spec.name}': ${errorMessage(e)}`));
      });
    }
    const code = exitCodeFor(status.state, status.message);
    if (code !== undefined) finish(code);
  };

  const subscribed = client.subscribe(frameworkInfoFor(spec), {
    onSubscribed: ({ frameworkId }) => out(`Subscribed with ID ${frameworkId}`),
    onOffers,
    onUpdate,
    onDisconnected: (reason) => out(`Disconnected from the master (${reason}); re-subscribing`),
    onError: (message) => {
      out(`Received an ERROR event: ${message}`);
      finish(1);
    },
  });
  try {
    await Promise.race([subscribed, result]);
  } catch (e: unknown) {
    out(e instanceof SubscriptionFatalError ? `Failed to subscribe: ${e.message}` : errorMessage(e));
    finish(1);
  }
  const code = await result;
  killTimer?.cancel();
  run.signal?.removeEventListener('abort', onAbort);
  if (client.isSubscribed) {
    try {
      await client.teardown();
    } catch (e: unknown) {
      run.logger.warn({ err: errorMessage(e) }, 'teardown failed');
    }
  }
  await client.close();
  return code;
}
