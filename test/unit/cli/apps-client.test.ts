import { describe, expect, it } from 'vitest';
import { AppsApiError, CliError, EXIT, appPath, appsBaseUrl, describeFailure, formatApiError, normalizeAppId } from '../../../src/cli/apps-client.js';

describe('apps CLI client helpers', () => {
  it('takes --apps, else AGORA_APPS, else localhost:8080, adding a scheme and dropping a trailing slash', () => {
    expect(appsBaseUrl(undefined, {})).toBe('http://127.0.0.1:8080');
    expect(appsBaseUrl(undefined, { AGORA_APPS: 'h:9090/' })).toBe('http://h:9090');
    expect(appsBaseUrl('https://m.example/', { AGORA_APPS: 'h:9090' })).toBe('https://m.example');
  });

  it('normalises app ids and encodes their path', () => {
    expect(normalizeAppId('web')).toBe('/web');
    expect(normalizeAppId('/g/web/')).toBe('/g/web');
    expect(appPath('g/a b')).toBe('/g/a%20b');
    expect(() => normalizeAppId('/')).toThrow(CliError);
  });

  it('prints upstream 422 details one per line', () => {
    const e = new AppsApiError('POST', '/v2/apps', 422, {
      message: 'Object is not valid',
      details: [{ path: '/instances', errors: ['got -1, expected 0 or more'] }, { path: '/id', errors: ['a', 'b'] }],
    });
    expect(formatApiError(e)).toEqual([
      'error: Object is not valid (HTTP 422)',
      '  /instances: got -1, expected 0 or more',
      '  /id: a',
      '  /id: b',
    ]);
  });

  it('prints a 400 string detail, a 409 lock with its deployments, and non-JSON bodies', () => {
    expect(formatApiError(new AppsApiError('POST', '/v2/apps', 400, { message: 'Invalid JSON', details: 'Unexpected end' }))).toEqual([
      'error: Invalid JSON (HTTP 400)',
      '  Unexpected end',
    ]);
    const locked = formatApiError(new AppsApiError('PUT', '/v2/apps/a', 409, { message: 'App is locked', deployments: [{ id: 'd1' }, { id: 'd2' }] }));
    expect(locked[1]).toBe('  blocked by deployment(s): d1, d2 (use --force to override, or agora deploy cancel <id>)');
    expect(formatApiError(new AppsApiError('GET', '/x', 502, 'Bad Gateway\n'))).toEqual(['error: Bad Gateway (HTTP 502)']);
    expect(formatApiError(new AppsApiError('GET', '/x', 500, ''))).toEqual(['error: GET /x failed (HTTP 500)']);
  });

  it('maps failures to exit codes', () => {
    expect(describeFailure(new AppsApiError('GET', '/x', 404, { message: 'nope' })).code).toBe(EXIT.apiError);
    expect(describeFailure(new CliError('down', EXIT.unreachable))).toEqual({ code: 3, lines: ['error: down'] });
    expect(describeFailure(new Error('boom'))).toEqual({ code: 1, lines: ['error: boom'] });
  });
});
