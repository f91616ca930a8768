import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkFormat, type FormatName } from './formats.js';

describe('checkFormat', () => {
  const cases: Array<{ format: FormatName; good: string[]; bad: string[] }> = [
    { format: 'dns1123-label', good: ['a', 'team-a', 'x1', 'a'.repeat(63)], bad: ['', 'A', 'team_a', '-a', 'a-', 'a.b', 'a'.repeat(64)] },
    { format: 'dns1123-subdomain', good: ['a', 'high.priority', 'ip-10-0-0-1.ec2.internal'], bad: ['', 'a..b', '.a', 'A.b', 'a_b'] },
    { format: 'path-segment-name', good: ['system:viewer', 'Admin', 'a.b'], bad: ['', '.', '..', 'a/b', 'a%b'] },
    { format: 'qualified-name', good: ['cpu', 'nvidia.com/gpu', 'nvidia.com/mig-1g.10gb', 'requests.nvidia.com/gpu', 'count/trainingjobs.ml.quartermaster.dev', 'hugepages-2Mi'],
      bad: ['', '/gpu', 'nvidia.com/', 'a/b/c', 'Nvidia.com/gpu', '-cpu', 'nvidia com/gpu'] },
    { format: 'label-value', good: ['', 'A100-80GB', 'on-demand', 'v1.2_3'], bad: ['a b', '-a', 'a'.repeat(64)] },
    { format: 'quantity', good: ['1', '500m', '64Gi'], bad: ['', '1.2.3', '10XB'] },
    { format: 'duration', good: ['90s', '2d', '1h30m'], bad: ['', '6x'] },
    { format: 'percent', good: ['0%', '25%', '100%'], bad: ['25', '%', '2.5%', 'a%'] },
  ];
  for (const c of cases) {
    it(c.format, () => {
      for (const v of c.good) assert.equal(checkFormat(c.format, v), undefined, `${JSON.stringify(v)} should be a ${c.format}`);
      for (const v of c.bad) assert.equal(typeof checkFormat(c.format, v), 'string', `${JSON.stringify(v)} should not be a ${c.format}`);
    });
  }
  it('unknown formats pass (not ours to check)', () => assert.equal(checkFormat('uuid', 'x'), undefined));
});
