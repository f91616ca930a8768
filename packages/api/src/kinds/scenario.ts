/**
 * The `Scenario` document of SCENARIOS.md: objects applied at t=0, timed submissions and timed
 * events, run by `qm simulate` in virtual time. Not a served kind. Durations are seconds as a
 * number or strings such as "90s", "15m", "6h", "2d"; the decoded type (`Scenario`) has them in seconds.
 *
 * Example:
 * ```yaml
 * apiVersion: ml.quartermaster.dev/v1alpha1
 * kind: Scenario
 * metadata: {name: borrow-then-reclaim}
 * spec:
 *   seed: 1
 *   until: 6h
 *   objects: [...]
 *   submissions: [{at: 0, work: 2h, object: {...}}]
 *   events: [{at: 1h, action: spotInterrupt, node: gpu-1, noticeSeconds: 120}]
 * ```
 */
import { Type, type Static, type StaticDecode } from '@sinclair/typebox';
import type { ApiObject } from '../meta.js';
import { parseDurationSeconds } from '../duration.js';
import { Closed, StringEnum } from './helpers.js';
import { QM_API, envelope } from './common.js';

/** Seconds as a number, or a duration string; decodes to seconds. */
export const DurationSchema = Type.Transform(Type.Union([Type.Number({ minimum: 0 }), Type.String({ format: 'duration' })], {
  $id: 'Duration',
  'x-qm-expect': 'seconds as a number, or a duration such as "90s", "15m", "6h", "2d"',
}))
  .Decode((v) => parseDurationSeconds(v))
  .Encode((v) => v);

/** Any object of API.md, checked on its own by `validateObject`. */
export const EmbeddedObjectSchema = Type.Transform(Type.Unknown({
  'x-qm-api-object': true,
  description: 'Any object of API.md (apiVersion, kind, metadata, ...).',
}))
  .Decode((v) => v as ApiObject)
  .Encode((v) => v);

export const SCENARIO_ACTIONS = ['spotInterrupt', 'removeNode', 'cordonNode', 'uncordonNode', 'delete', 'load', 'addNode'] as const;
export const ScenarioActionSchema = StringEnum(SCENARIO_ACTIONS);
export type ScenarioAction = Static<typeof ScenarioActionSchema>;

export const ScenarioTargetSchema = Closed({
  /** Default ModelDeployment for `load`; required for `delete`. */
  kind: Type.Optional(Type.String({ minLength: 1 })),
  namespace: Type.Optional(Type.String({ format: 'dns1123-label' })),
  name: Type.String({ minLength: 1 }),
});

export const ScenarioSubmissionSchema = Closed({
  at: DurationSchema,
  /** TrainingJob only: useful run time needed to finish. */
  work: Type.Optional(DurationSchema),
  object: EmbeddedObjectSchema,
});

export const ScenarioEventSchema = Closed({
  at: DurationSchema,
  action: ScenarioActionSchema,
  /** spotInterrupt, removeNode, cordonNode, uncordonNode. */
  node: Type.Optional(Type.String({ minLength: 1 })),
  /** spotInterrupt: warning before the node goes (default 120). */
  noticeSeconds: Type.Optional(Type.Number({ minimum: 0 })),
  /** delete, load. */
  target: Type.Optional(ScenarioTargetSchema),
  /** load: offered requests per second. */
  rps: Type.Optional(Type.Number({ minimum: 0 })),
  /** addNode: a Node manifest, or a pool to add nodes from (`count`, default 1). */
  object: Type.Optional(EmbeddedObjectSchema),
  nodePool: Type.Optional(Type.String({ minLength: 1 })),
  count: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const ScenarioSpecSchema = Closed({
  /** Seeds every random choice (default 0). */
  seed: Type.Optional(Type.Integer()),
  /** When the run stops; absent = when nothing is left to happen. */
  until: Type.Optional(DurationSchema),
  objects: Type.Optional(Type.Array(EmbeddedObjectSchema)),
  submissions: Type.Optional(Type.Array(ScenarioSubmissionSchema)),
  events: Type.Optional(Type.Array(ScenarioEventSchema)),
});

export const ScenarioSchema = Type.Object({
  ...envelope(QM_API, 'Scenario', 'dns1123-label'),
  spec: ScenarioSpecSchema,
}, { $id: 'Scenario', additionalProperties: false });

/** A scenario as written (durations as numbers or strings). */
export type ScenarioDocument = Static<typeof ScenarioSchema>;
/** A validated scenario: durations in seconds, embedded objects typed as ApiObject. */
export type Scenario = StaticDecode<typeof ScenarioSchema>;
export type ScenarioSubmission = StaticDecode<typeof ScenarioSubmissionSchema>;
export type ScenarioEvent = StaticDecode<typeof ScenarioEventSchema>;
