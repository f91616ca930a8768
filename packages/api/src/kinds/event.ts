/**
 * Event (core `v1`, namespaced): something that happened to an object. Fields at the top level,
 * as in Kubernetes; unknown fields are kept so Kubernetes events apply unchanged.
 *
 * Example:
 * ```ts
 * const ev: EventObject = {
 *   apiVersion: 'v1', kind: 'Event', metadata: { name: 'bert.1', namespace: 'team-nlp' },
 *   reason: 'Preempted', message: 'preempted by team-a/big', type: 'Warning',
 *   involvedObject: { kind: 'TrainingJob', namespace: 'team-nlp', name: 'bert' }, count: 1,
 * };
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { NonNegativeInteger, Open, StringEnum, Timestamp } from './helpers.js';
import { ObjectReferenceSchema, envelope } from './common.js';

export const EventTypeSchema = StringEnum(['Normal', 'Warning']);
export type EventType = Static<typeof EventTypeSchema>;

export const EventSchema = Open({
  ...envelope('v1', 'Event', 'dns1123-subdomain'),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  type: Type.Optional(EventTypeSchema),
  involvedObject: Type.Optional(ObjectReferenceSchema),
  count: Type.Optional(NonNegativeInteger()),
  firstTimestamp: Type.Optional(Timestamp),
  lastTimestamp: Type.Optional(Timestamp),
  source: Type.Optional(Open({ component: Type.Optional(Type.String()), host: Type.Optional(Type.String()) })),
}, { $id: 'Event' });
/** An Event object (named `EventObject` so it does not clash with the DOM's `Event`). */
export type EventObject = Static<typeof EventSchema>;
