/**
 * Per-app record of offer processing for `/v2/queue` (spec §3.9): a funnel of reasons where each offer counts
 * as processed by every filter it reached and declined by the one that rejected it.
 */
import { REJECT_REASONS, type RejectReason } from './types.js';

export interface RejectSummaryEntry {
  readonly reason: RejectReason;
  readonly declined: number;
  readonly processed: number;
}

export interface OffersSummary {
  processedOffersCount: number;
  unusedOffersCount: number;
  lastUnusedOfferAt?: number;
  lastUsedOfferAt?: number;
  readonly declined: Map<RejectReason, number>;
  readonly processed: Map<RejectReason, number>;
}

export function emptySummary(): OffersSummary {
  return { processedOffersCount: 0, unusedOffersCount: 0, declined: new Map(), processed: new Map() };
}

/** Counts one offer that was used. */
export function recordUsed(s: OffersSummary, now: number): void {
  s.processedOffersCount++;
  s.lastUsedOfferAt = now;
  for (const r of REJECT_REASONS) s.processed.set(r, (s.processed.get(r) ?? 0) + 1);
}

/** Counts one offer rejected for `reason` (every earlier reason in the funnel processed it too). */
export function recordRejected(s: OffersSummary, reason: RejectReason, now: number): void {
  s.processedOffersCount++;
  s.unusedOffersCount++;
  s.lastUnusedOfferAt = now;
  for (const r of REJECT_REASONS) {
    s.processed.set(r, (s.processed.get(r) ?? 0) + 1);
    if (r === reason) {
      s.declined.set(r, (s.declined.get(r) ?? 0) + 1);
      break;
    }
  }
}

/** `rejectSummaryLastOffers` in funnel order. */
export function summaryEntries(s: OffersSummary): RejectSummaryEntry[] {
  return REJECT_REASONS.map((reason) => ({ reason, declined: s.declined.get(reason) ?? 0, processed: s.processed.get(reason) ?? 0 }));
}
