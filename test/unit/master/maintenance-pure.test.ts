import { describe, expect, it } from 'vitest';
import { MaintenanceState, machineKey, machineMatches } from '../../../src/master/maintenance.js';
import { scheduleOf, validateMachines, validateSchedule } from '../../../src/master/maintenance-schedule.js';

const window = (ids: unknown[], durationNs = 1): Record<string, unknown> => ({ machine_ids: ids, unavailability: { start: { nanoseconds: 0 }, duration: { nanoseconds: durationNs } } });

describe('machine matching', () => {
  it.each([
    [{ hostname: 'Node-A', ip: '10.0.0.1' }, 'node-a', '10.0.0.1', true],
    [{ hostname: 'node-a', ip: '10.0.0.1' }, 'node-a', '10.0.0.2', false],
    [{ hostname: 'node-a' }, 'NODE-A', '10.9.9.9', true],
    [{ ip: '10.0.0.1' }, 'anything', '10.0.0.1', true],
    [{ ip: '10.0.0.1' }, 'anything', '10.0.0.3', false],
    [{}, 'node-a', '10.0.0.1', false],
  ])('%j matches (%s, %s): %s', (id, hostname, ip, expected) => {
    expect(machineMatches(id, hostname, ip)).toBe(expected);
    const s = new MaintenanceState();
    s.machines.set(machineKey(id), { id, mode: 'DRAINING', unavailability: { start: { nanoseconds: 0 } }, statuses: new Map() });
    s.machinesChanged();
    expect(s.find(hostname, ip) !== undefined).toBe(expected && machineKey(id) !== machineKey({}));
  });
});

describe('schedule validation (upstream messages)', () => {
  it.each([
    [[window([])], 'List of machines in the maintenance window is empty'],
    [[window([{ hostname: '' }])], "One of 'hostname' or 'ip' must be specified in the 'MachineID'"],
    [[window([{ ip: '300.1.1.1' }])], `Failed to parse IP '300.1.1.1' of machine {"ip":"300.1.1.1"}`],
    [[window([{ hostname: 'a' }]), window([{ hostname: 'A' }])], `Machine '{"hostname":"A"}' appears more than once in the schedule`],
    [[window([{ hostname: 'a' }], -5)], "Unavailability 'duration' is negative"],
    [[window([{ hostname: 'a' }, { ip: '10.0.0.1' }])], undefined],
  ])('%j → %s', (windows, expected) => {
    expect(validateSchedule(scheduleOf({ windows } as never), new Map())).toBe(expected);
  });
  it('machine lists: empty, duplicates', () => {
    expect(validateMachines([])).toBe('List of machines is empty');
    expect(validateMachines([{ hostname: 'a', ip: '10.0.0.1' }, { hostname: 'A', ip: '10.0.0.1' }])).toBe(`Machine '{"hostname":"A","ip":"10.0.0.1"}' appears more than once in the list`);
  });
});
