import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { checkpointDirOf } from './training-runtime.js';

const job = (spec: Record<string, unknown>, uid = 'u-1'): ApiObject => ({
  apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'bert', namespace: 'team-nlp', uid }, spec,
});

test('where a job checkpoints', () => {
  const cases: Array<{ name: string; job: ApiObject; want: string }> = [
    { name: 'default: one directory per run (uid) under the data dir', job: job({}), want: '/data/checkpoints/team-nlp/bert/u-1' },
    { name: 'a resubmitted job (new uid) does not see the old run', job: job({}, 'u-2'), want: '/data/checkpoints/team-nlp/bert/u-2' },
    { name: 'an absolute checkpointPath is used as is', job: job({ checkpointPath: '/mnt/ckpt/bert' }), want: '/mnt/ckpt/bert' },
    { name: 'a relative checkpointPath is relative to workingDir', job: job({ checkpointPath: 'ckpt', workingDir: '/work/bert' }), want: '/work/bert/ckpt' },
  ];
  for (const c of cases) assert.equal(checkpointDirOf(c.job, '/data'), c.want, c.name);
});
