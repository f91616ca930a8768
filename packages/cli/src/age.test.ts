import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAge, formatDuration } from './age.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('formatDuration follows kubectl HumanDuration', () => {
  const cases: [string, number, string][] = [
    ['negative by under a second is 0s', -500, '0s'],
    ['far negative is invalid', -5 * S, '<invalid>'],
    ['zero', 0, '0s'],
    ['seconds under two minutes', 119 * S, '119s'],
    ['two minutes exactly', 2 * M, '2m'],
    ['minutes with seconds under ten minutes', 2 * M + 30 * S, '2m30s'],
    ['whole minutes from ten minutes', 12 * M + 40 * S, '12m'],
    ['minutes up to three hours', 179 * M, '179m'],
    ['hours with minutes under eight hours', 3 * H + 5 * M, '3h5m'],
    ['whole hours under two days', 30 * H + 59 * M, '30h'],
    ['days with hours under eight days', 3 * D + 4 * H, '3d4h'],
    ['whole days exactly', 3 * D, '3d'],
    ['days under two years', 400 * D, '400d'],
    ['years with days', 2 * 365 * D + 10 * D, '2y10d'],
    ['years only after eight', 9 * 365 * D, '9y'],
  ];
  for (const [name, ms, want] of cases) assert.equal(formatDuration(ms), want, name);
});

test('formatAge measures from an RFC 3339 timestamp', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  const cases: [string, string | undefined, string][] = [
    ['five minutes ago', '2025-01-01T11:55:00Z', '5m'],
    ['absent', undefined, '<unknown>'],
    ['garbage', 'yesterday', '<unknown>'],
  ];
  for (const [name, ts, want] of cases) assert.equal(formatAge(ts, now), want, name);
});
