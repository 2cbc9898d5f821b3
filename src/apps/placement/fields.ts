/** Constraint field values of an offer (spec §4.9): hostname and agent attributes rendered as strings. */
import type { AttributeJson, OfferJson } from '../../api/mesos/common.js';

/** Up to 3 decimals, trailing zeros dropped (`1.0005` → `1`, `2.50` → `2.5`). */
export function formatScalar(n: number): string {
  const rounded = Math.round(n * 1000) / 1000;
  return String(Number(rounded.toFixed(3)));
}

function attributeValue(a: AttributeJson): string | undefined {
  if (a.text !== undefined) return a.text.value;
  if (a.scalar !== undefined) return formatScalar(a.scalar.value);
  if (a.ranges !== undefined) {
    const rs = [...(a.ranges.range ?? [])].sort((x, y) => x.begin - y.begin);
    return `[${rs.map((r) => `${r.begin}-${r.end}`).join(',')}]`;
  }
  if (a.set !== undefined) return `{${[...(a.set.item ?? [])].sort().join(',')}}`;
  return undefined;
}

/** `hostname`, `@hostname` and every attribute of the offer. */
export function offerFields(offer: OfferJson): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of offer.attributes ?? []) {
    const v = attributeValue(a);
    if (v !== undefined) out[a.name] = v;
  }
  out['hostname'] = offer.hostname;
  out['@hostname'] = offer.hostname;
  return out;
}
