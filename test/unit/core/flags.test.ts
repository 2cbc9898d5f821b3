import { describe, expect, it } from 'vitest';
import { flagsForDisplay, resolveFlags, type FlagSpec } from '../../../src/core/flags.js';
import { formatDuration, parseDuration } from '../../../src/core/duration.js';

const specs: FlagSpec[] = [
  { name: 'port', type: 'int', help: 'port', default: '5050' },
  { name: 'allocation_interval', type: 'duration', help: 'interval', default: '1secs' },
  { name: 'work_dir', type: 'string', help: 'dir' },
  { name: 'root_submissions', type: 'bool', help: 'root', default: 'true' },
];

describe('flags', () => {
  it('prefers the command line, then AGORA_* env, then defaults', () => {
    const v = resolveFlags(specs, { port: '6000' }, { AGORA_PORT: '7000', AGORA_ALLOCATION_INTERVAL: '250ms', AGORA_WORK_DIR: '/tmp/x' });
    expect(v).toEqual({ port: 6000, allocation_interval: 250, work_dir: '/tmp/x', root_submissions: true });
  });

  it('names the flag in errors', () => {
    expect(() => resolveFlags(specs, { port: 'abc' }, {})).toThrow(/--port/);
    expect(() => resolveFlags(specs, { nope: '1' }, {})).toThrow(/Unknown flag --nope/);
    expect(() => resolveFlags(specs, { allocation_interval: 'soon' }, {})).toThrow(/--allocation_interval/);
  });

  it('shows values as upstream prints them', () => {
    expect(flagsForDisplay(specs, resolveFlags(specs, {}, {}))).toEqual({ port: '5050', allocation_interval: '1secs', root_submissions: 'true' });
  });

  it('parses and formats Mesos durations', () => {
    expect(parseDuration('15secs')).toBe(15_000);
    expect(parseDuration('10mins')).toBe(600_000);
    expect(parseDuration('1.5hrs')).toBe(5_400_000);
    expect(parseDuration('100ms')).toBe(100);
    expect(parseDuration('2')).toBe(2000);
    expect(formatDuration(604_800_000)).toBe('1weeks');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(() => parseDuration('5 parsecs')).toThrow();
  });
});
