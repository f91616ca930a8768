import type { ApiObject, KindInfo } from '@qm/api';
import type { UserInfo } from './auth.js';

/** A write the server is about to make, as admission plugins see it. */
export interface AdmissionRequest {
  verb: 'create' | 'update' | 'patch' | 'delete';
  kindInfo: KindInfo;
  /** 'status' for writes to the status subresource. */
  subresource?: 'status';
  /** The object as it will be written (defaults applied); for delete, the object being deleted. */
  object: ApiObject;
  /** The stored object before this write (update, patch, delete). */
  oldObject?: ApiObject;
  user: UserInfo;
}

/**
 * A check that runs on every create, update, patch and delete after validation and
 * defaulting, before the store write. It refuses by throwing `QmError('Forbidden' | 'Invalid')`;
 * returning means "admit". ResourceQuota, AdmissionPolicy and Budget enforcement plug in here.
 *
 * Example:
 * ```ts
 * const noLatest: AdmissionPlugin = async ({ object }) => {
 *   if (String(object.spec?.image ?? '').endsWith(':latest')) {
 *     throw new QmError('Forbidden', 'admission policy disallowLatestTag: image tag "latest" is not allowed');
 *   }
 * };
 * ```
 */
export type AdmissionPlugin = (request: AdmissionRequest) => Promise<void>;

/** Runs the plugins in order; the first refusal wins. */
export async function runAdmission(plugins: readonly AdmissionPlugin[], request: AdmissionRequest): Promise<void> {
  for (const plugin of plugins) await plugin(request);
}
