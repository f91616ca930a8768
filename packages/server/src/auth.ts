import { createHash, randomBytes } from 'node:crypto';
import { QmError } from '@qm/api';
import type { TokenRecord, TokenStore } from '@qm/core';

/** Who is calling, as established by the bearer token. */
export interface UserInfo {
  name: string;
  groups: string[];
}

/** The API verbs, as Kubernetes names them. */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/**
 * What a request touches. Resource requests name the API group and plural
 * (and subresource/name when present); other paths (`/metrics`, `/openapi/v3`)
 * leave `plural` empty and set `nonResourcePath`.
 */
export interface ResourceAttributes {
  group: string;
  plural: string;
  subresource?: string;
  name?: string;
  nonResourcePath?: string;
}

export interface AuthorizationDecision {
  allowed: boolean;
  /** Why: shown to the caller in the 403 when denied. */
  reason: string;
}

/**
 * Decides whether a user may perform a verb on a resource. The server calls it once per
 * request, before any handler runs; RBAC plugs in by providing another implementation.
 *
 * Example:
 * ```ts
 * authorizer.authorize({name: 'alice', groups: ['team-a']}, 'create', {group: 'ml.quartermaster.dev', plural: 'trainingjobs'}, 'team-a')
 * // → {allowed: false, reason: 'only members of group system:masters have access until RBAC is enabled'}
 * // and the client gets 403: user "alice" may not create trainingjobs.ml.quartermaster.dev in namespace "team-a": <reason>
 * ```
 */
export interface Authorizer {
  authorize(user: UserInfo, verb: Verb, resource: ResourceAttributes, namespace?: string):
    AuthorizationDecision | Promise<AuthorizationDecision>;
}

export const SYSTEM_MASTERS = 'system:masters';

/** Today's policy: members of `system:masters` may do anything; everyone else nothing. */
export const mastersOnlyAuthorizer: Authorizer = {
  authorize(user) {
    if (user.groups.includes(SYSTEM_MASTERS)) {
      return { allowed: true, reason: `user "${user.name}" is in group ${SYSTEM_MASTERS}` };
    }
    return { allowed: false, reason: `only members of group ${SYSTEM_MASTERS} have access until RBAC is enabled` };
  },
};

/** `create trainingjobs.ml.quartermaster.dev "bert" in namespace "team-a"` — for 403 messages. */
export function describeRequest(verb: Verb, resource: ResourceAttributes, namespace?: string): string {
  if (!resource.plural) return `${verb} path ${resource.nonResourcePath ?? '/'}`;
  const qualified = resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
  const sub = resource.subresource ? `/${resource.subresource}` : '';
  const name = resource.name ? ` "${resource.name}"` : '';
  const where = namespace ? ` in namespace "${namespace}"` : ' at the cluster scope';
  return `${verb} ${qualified}${sub}${name}${where}`;
}

/** Hex SHA-256 of a token secret: the only form in which secrets are stored. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * A new API token for `user`: the secret (shown once, `qm_` + 32 random bytes base64url)
 * and the record to store (which keeps only the secret's hash).
 *
 * Example:
 * ```ts
 * const { secret, record } = mintToken('admin', ['system:masters']);
 * await tokenStore.addToken(record);   // give `secret` to the user
 * ```
 */
export function mintToken(
  user: string, groups: string[], opts: { nowMs?: number; description?: string } = {},
): { secret: string; record: TokenRecord } {
  const secret = `qm_${randomBytes(32).toString('base64url')}`;
  const record: TokenRecord = {
    id: `tok-${randomBytes(6).toString('hex')}`,
    user,
    groups: [...groups],
    secretSha256: hashSecret(secret),
    createdAtMs: opts.nowMs ?? Date.now(),
    ...(opts.description ? { description: opts.description } : {}),
  };
  return { secret, record };
}

/**
 * The user behind an `Authorization: Bearer <secret>` header; Unauthorized when the header
 * is missing, malformed or names no stored token.
 */
export async function authenticate(authorization: string | undefined, tokens: TokenStore): Promise<UserInfo> {
  if (!authorization) {
    throw new QmError('Unauthorized',
      'missing bearer token: send "Authorization: Bearer <token>" (the admin token is in $QM_HOME/config.json)');
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw new QmError('Unauthorized', 'the Authorization header must be "Bearer <token>"');
  const record = await tokens.findTokenBySecretHash(hashSecret(match[1]));
  if (!record) throw new QmError('Unauthorized', 'the bearer token is not valid for this server');
  return { name: record.user, groups: [...record.groups] };
}
