/**
 * Small manifest fixtures for end-to-end tests, written as YAML files into a temp dir.
 *
 * Example:
 * ```ts
 * const dir = writeManifests({ 'ns.yaml': namespaceYaml('team-a') });
 * ```
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function writeManifests(files: Record<string, string>, dir = mkdtempSync(join(tmpdir(), 'qm-e2e-manifests-'))): string {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

export function namespaceYaml(name: string): string {
  return `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;
}

export function priorityClassYaml(name: string, value: number): string {
  return `apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: ${name}\nvalue: ${value}\npreemptionPolicy: PreemptLowerPriority\ndescription: e2e\n`;
}

export function queueYaml(name: string, namespace: string, guaranteedGpus: number): string {
  return `apiVersion: ml.quartermaster.dev/v1alpha1\nkind: Queue\nmetadata:\n  name: ${name}\nspec:\n  namespaces: [${namespace}]\n  guaranteed:\n    nvidia.com/gpu: ${guaranteedGpus}\n`;
}

/** A CPU-only job that runs a short shell sleep, so the local executor can run it anywhere. */
export function trainingJobYaml(name: string, namespace: string, opts: { queue?: string; priorityClassName?: string; labels?: Record<string, string> } = {}): string {
  const labels = opts.labels ? `  labels:\n${Object.entries(opts.labels).map(([k, v]) => `    ${k}: ${v}\n`).join('')}` : '';
  return [
    'apiVersion: ml.quartermaster.dev/v1alpha1',
    'kind: TrainingJob',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    labels.replace(/\n$/, ''),
    'spec:',
    '  workers: 1',
    '  gpusPerWorker: 0',
    '  command: ["sleep", "1"]',
    opts.queue ? `  queue: ${opts.queue}` : '',
    opts.priorityClassName ? `  priorityClassName: ${opts.priorityClassName}` : '',
  ].filter((l) => l !== '').join('\n') + '\n';
}
