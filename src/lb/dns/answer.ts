/**
 * Answers one DNS query from DnsRecords (pure, over dns-packet's objects): A and SRV from the records (SRV
 * answers carry the targets' A records as additionals), ANY = both; a known name asked for another type →
 * NOERROR with no answer; an unknown name inside the domain → NXDOMAIN; a name outside it → REFUSED (no
 * recursion). Authoritative; the query id, questions and RD flag are echoed.
 */
import type { Answer, Packet, Question } from 'dns-packet';
import type { DnsRecords } from './records.js';

const AUTHORITATIVE = 1 << 10;
const RECURSION_DESIRED = 1 << 8;
export const RCODE = { NOERROR: 0, FORMERR: 1, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export function answerQuery(query: Packet, records: DnsRecords, ttl: number): Packet {
  const questions: Question[] = query.questions ?? [];
  const answers: Answer[] = [];
  const additionals: Answer[] = [];
  let rcode: number = RCODE.NOERROR;
  const q = questions[0];
  if (q === undefined || questions.length !== 1) rcode = RCODE.FORMERR;
  else {
    const name = q.name.toLowerCase().replace(/\.$/, '');
    if (name !== records.domain && !name.endsWith(`.${records.domain}`)) rcode = RCODE.REFUSED;
    else {
      const a = records.a.get(name);
      const srv = records.srv.get(name);
      if (a === undefined && srv === undefined && name !== records.domain) rcode = RCODE.NXDOMAIN;
      const type: string = q.type; // dns-packet decodes type 255 as 'ANY', which its typings omit
      if ((type === 'A' || type === 'ANY') && a !== undefined) for (const ip of a) answers.push({ type: 'A', name: q.name, ttl, data: ip });
      if ((type === 'SRV' || type === 'ANY') && srv !== undefined) {
        const targets = new Set<string>();
        for (const t of srv) {
          answers.push({ type: 'SRV', name: q.name, ttl, data: { priority: 0, weight: 0, port: t.port, target: t.target } });
          targets.add(t.target);
        }
        for (const t of targets) for (const ip of records.a.get(t) ?? []) additionals.push({ type: 'A', name: t, ttl, data: ip });
      }
    }
  }
  const flags = AUTHORITATIVE | ((query.flags ?? 0) & RECURSION_DESIRED) | rcode;
  return { type: 'response', id: query.id ?? 0, flags, questions, answers, additionals };
}
