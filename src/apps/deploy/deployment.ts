/**
 * A deployment: the plan created by one app change (spec §3.8, §4.2), kept until the app converges on it.
 * Steps are derived from the kind of change; progress is judged from the instances, not stored per step.
 */
export type DeploymentAction = 'StartApplication' | 'StopApplication' | 'ScaleApplication' | 'RestartApplication';

export interface Deployment {
  readonly id: string;
  readonly version: string;
  readonly appId: string;
  /** The app version before this change (undefined when it created the app): the target of a rollback. */
  readonly previousVersion?: string;
  readonly steps: readonly { readonly actions: readonly { readonly action: DeploymentAction; readonly app: string }[] }[];
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

/** `/v2/deployments` item; the last step is reported as current (the earlier ones complete at once). */
export function deploymentJson(d: Deployment, readinessCheckResults: readonly unknown[] = []): Record<string, unknown> {
  const current = d.steps.at(-1);
  return {
    id: d.id,
    version: d.version,
    affectedApps: [d.appId],
    affectedPods: [],
    steps: d.steps,
    currentActions: (current?.actions ?? []).map((a) => ({ ...a, readinessCheckResults })),
    currentStep: d.steps.length,
    totalSteps: d.steps.length,
  };
}
