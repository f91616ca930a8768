import type { Readable } from 'node:stream';

/**
 * Which log a client asks for: `GET .../trainingjobs/{name}/log?rank=N&attempt=K&follow=true`
 * or `GET .../modeldeployments/{name}/log?replica=R&follow=true`.
 */
export interface LogRequest {
  namespace: string;
  name: string;
  /** The object's kind (`TrainingJob`, `ModelDeployment`); absent means TrainingJob. */
  kind?: string;
  rank?: number;
  attempt?: number;
  /** ModelDeployment: a replica name or an index into its live replicas sorted by name. */
  replica?: string;
  follow: boolean;
}

/**
 * Where worker logs come from (the training executor provides one). `open` returns the text
 * as a string or a stream (a follow stream stays open until the worker exits or the client
 * goes away, when the server destroys it), or undefined when nothing is recorded.
 *
 * Example: `logSource.open({namespace: 'team-a', name: 'bert', rank: 0, follow: false})`
 */
export interface LogSource {
  open(request: LogRequest): Promise<Readable | string | undefined>;
}
