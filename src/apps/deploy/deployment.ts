/**
 * A deployment: the plan created by one change (spec §3.8, §4.2), kept until its apps converge on it.
 * App-level changes make one-app deployments whose steps all run at once (progress is judged from the
 * instances). Group changes make stepped plans (`currentStep` set): steps run one after another in
 * dependency order, and an app waits (is held) until the step that acts on it starts.
 */
import type { AppDefinition } from '../model/app.js';

export type DeploymentAction = 'StartApplication' | 'StopApplication' | 'ScaleApplication' | 'RestartApplication';

export interface DeploymentStep {
  readonly actions: readonly { readonly action: DeploymentAction; readonly app: string }[];
}

export interface Deployment {
  readonly id: string;
  readonly version: string;
  /** The (first) affected app; the only one for app-level deployments. */
  readonly appId: string;
  /** The app version before this change (undefined when it created the app): the target of a rollback. */
  readonly previousVersion?: string;
  readonly steps: readonly DeploymentStep[];
  /** Group plans: every app touched by an action. */
  readonly affectedApps?: readonly string[];
  /** Group plans: 0-based index of the step in progress (steps run sequentially). Absent for app-level plans. */
  readonly currentStep?: number;
  /** Group plans: each affected app as it was before the change (null = it did not exist): the rollback target. */
  readonly original?: Readonly<Record<string, AppDefinition | null>>;
}

/** Apps touched by the deployment. */
export function affectedApps(d: Deployment): readonly string[] {
  return d.affectedApps ?? [d.appId];
}

/** The steps of a deployment for one app change (empty steps dropped, spec §4.2). */
export function planSteps(appId: string, kind: 'create' | 'scale' | 'restart' | 'delete'): Deployment['steps'] {
  switch (kind) {
    case 'create':
      return [{ actions: [{ action: 'StartApplication', app: appId }] }, { actions: [{ action: 'ScaleApplication', app: appId }] }];
    case 'scale':
      return [{ actions: [{ action: 'ScaleApplication', app: appId }] }];
    case 'restart':
      return [{ actions: [{ action: 'RestartApplication', app: appId }] }];
    case 'delete':
      return [{ actions: [{ action: 'StopApplication', app: appId }] }];
  }
}

/** The `plan` object of deployment events (light format). */
export function planJson(d: Deployment): Record<string, unknown> {
  return { id: d.id, steps: d.steps, version: d.version };
}

/**
 * The index of the first step that makes the app run or stop (a StartApplication placeholder does not);
 * undefined when the deployment does not act on it.
 */
export function activeStepOf(d: Deployment, appId: string): number | undefined {
  const i = d.steps.findIndex((s) => s.actions.some((a) => a.app === appId && a.action !== 'StartApplication'));
  return i < 0 ? undefined : i;
}

/** Whether a running stepped deployment keeps the app waiting: its step has not started yet. */
export function isHeld(deployments: Iterable<Deployment>, appId: string): boolean {
  for (const d of deployments) {
    if (d.currentStep === undefined) continue;
    const s = activeStepOf(d, appId);
    if (s !== undefined && d.currentStep < s) return true;
  }
  return false;
}

/** The actions of the step in progress (app-level plans: the last step; the earlier ones complete at once). */
export function currentActions(d: Deployment): DeploymentStep['actions'] {
  return (d.currentStep === undefined ? d.steps.at(-1) : d.steps[d.currentStep])?.actions ?? [];
}

/** `/v2/deployments` item; `currentStep` is 1-based. */
export function deploymentJson(d: Deployment, readinessCheckResults: readonly unknown[] = []): Record<string, unknown> {
  return {
    id: d.id,
    version: d.version,
    affectedApps: affectedApps(d),
    affectedPods: [],
    steps: d.steps,
    currentActions: currentActions(d).map((a) => ({ ...a, readinessCheckResults })),
    currentStep: d.currentStep === undefined ? d.steps.length : Math.min(d.currentStep + 1, d.steps.length),
    totalSteps: d.steps.length,
  };
}
