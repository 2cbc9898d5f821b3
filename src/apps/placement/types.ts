/**
 * Placement vocabulary: an offer as seen by the filters (hostname, attributes as strings, what is left of it)
 * and the request (app + field values of the app's already placed instances). Filters are stateless.
 */
import type { OfferJson } from '../../api/mesos/common.js';
import type { Resources } from '../../core/resources.js';
import type { AppDefinition, Constraint } from '../model/app.js';

/** Rejection reasons, in Marathon's funnel order (spec §3.9). */
export const REJECT_REASONS = [
  'UnfulfilledRole',
  'UnfulfilledConstraint',
  'InsufficientCpus',
  'InsufficientMemory',
  'InsufficientDisk',
  'InsufficientGpus',
  'InsufficientPorts',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** An offer during one matching round: `remaining` shrinks as instances are placed into it. */
export interface OfferSlot {
  readonly offer: OfferJson;
  readonly hostname: string;
  readonly agentId: string;
  /** Constraint field values: attributes as strings (§4.9), plus `hostname`. */
  readonly fields: Readonly<Record<string, string>>;
  remaining: Resources;
}

/** Where an existing instance of the app runs: its constraint field values. */
export type PlacedFields = Readonly<Record<string, string>>;

export interface PlacementRequest {
  readonly app: AppDefinition;
  /** Field values of every instance of the app already placed (any version), including this round's. */
  readonly placed: readonly PlacedFields[];
}

/** One step of the pipeline: undefined = accepted, else the reason of the rejection. */
export interface PlacementFilter {
  readonly name: string;
  check(req: PlacementRequest, slot: OfferSlot): RejectReason | undefined;
}

/** The per-constraint predicate each operator file implements. */
export interface ConstraintInput {
  /** The offer's value of the constraint field; undefined when the agent lacks it. */
  readonly offerValue: string | undefined;
  /** The constraint's value (third element), if any. */
  readonly value: string | undefined;
  /** Values of that field for the app's placed instances (undefined where they lacked it). */
  readonly placed: readonly (string | undefined)[];
  readonly instances: number;
}

export type ConstraintCheck = (input: ConstraintInput) => boolean;

export type { Constraint };
