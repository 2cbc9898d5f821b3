/**
 * Deployment progress, run on every tick inside AppsState.serial. App-level plans finish when their app has
 * converged (all steps at once, as before). Stepped group plans (ADR 0044) advance one step at a time: a step
 * is done when each of its apps has converged (a StartApplication placeholder is done at once, a stop when
 * no instance is left); each finished step publishes deployment_step_success, the next one deployment_info,
 * and its apps — held until now — are reconciled at once. The last step publishes deployment_success.
 */
import { currentActions, planJson, type Deployment, type DeploymentStep } from '../deploy/deployment.js';
import type { AppsState } from './state.js';

export interface ProgressDeps {
  readonly state: AppsState;
  /** The app matches its definition (or, when deleted, has no instance left). */
  readonly converged: (appId: string) => boolean;
  /** Applies the reconciler to one app (inside serial). */
  readonly reconcile: (appId: string) => Promise<void>;
}

function stepDone(step: DeploymentStep, converged: (appId: string) => boolean): boolean {
  return step.actions.every((a) => a.action === 'StartApplication' || converged(a.app));
}

async function finish(p: ProgressDeps, d: Deployment, stopped: readonly string[]): Promise<void> {
  const { state } = p;
  await state.removeDeployment(d.id);
  const plan = planJson(d);
  for (const appId of stopped) if (!state.apps.has(appId)) state.events.publish('app_terminated_event', { appId });
  state.events.publish('deployment_success', { id: d.id, plan });
}

/** Advances (or completes) every running deployment whose apps have converged. */
export async function advanceDeployments(p: ProgressDeps): Promise<void> {
  const { state } = p;
  for (const d of [...state.deployments.values()]) {
    if (d.currentStep === undefined) {
      if (!p.converged(d.appId)) continue;
      state.events.publish('deployment_step_success', { plan: planJson(d), currentStep: { actions: currentActions(d) } });
      await finish(p, d, [d.appId]);
      continue;
    }
    let s = d.currentStep;
    const stopped: string[] = [];
    while (s < d.steps.length) {
      const step = d.steps[s] as DeploymentStep;
      if (!stepDone(step, p.converged)) break;
      state.events.publish('deployment_step_success', { plan: planJson(d), currentStep: { actions: step.actions } });
      stopped.push(...step.actions.filter((a) => a.action === 'StopApplication').map((a) => a.app));
      s++;
      const next = d.steps[s];
      if (next !== undefined) state.events.publish('deployment_info', { plan: planJson(d), currentStep: { actions: next.actions } });
    }
    for (const appId of stopped) if (!state.apps.has(appId)) state.events.publish('app_terminated_event', { appId });
    if (s >= d.steps.length) {
      await finish(p, d, []);
      continue;
    }
    if (s === d.currentStep) continue;
    await state.saveDeployment({ ...d, currentStep: s });
    for (const a of d.steps[s]?.actions ?? []) await p.reconcile(a.app);
  }
}
