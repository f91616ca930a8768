#!/usr/bin/env node
// A dependency-free training worker (Node) that follows Quartermaster's worker contract, used
// by the torch-free end-to-end tests and handy for trying the platform without Python:
//   - counts steps (STEP_MS apart), rank 0 checkpoints every QM_CHECKPOINT_INTERVAL_SECONDS to
//     QM_CHECKPOINT_DIR/step-<N>/state.json followed by an empty COMMITTED marker;
//   - resumes from QM_RESUME_FROM; reports progress to QM_PROGRESS_FILE;
//   - on the preemption notice (SIGTERM or QM_PREEMPT_FILE) exits, saving first with --save-on-notice.
// Usage: node contract-worker.mjs --steps 200 [--step-ms 50] [--save-on-notice] [--fail-at STEP]
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => { const i = argv.indexOf(name); return i >= 0 ? Number(argv[i + 1]) : dflt; };
const totalSteps = opt('--steps', 100);
const stepMs = opt('--step-ms', 50);
const failAt = opt('--fail-at', -1);
const saveOnNotice = flag('--save-on-notice');

const rank = Number(process.env.RANK ?? 0);
const ckptDir = process.env.QM_CHECKPOINT_DIR ?? '';
const resumeFrom = process.env.QM_RESUME_FROM ?? '';
const intervalMs = Number(process.env.QM_CHECKPOINT_INTERVAL_SECONDS || 0) * 1000;
const preemptFile = process.env.QM_PREEMPT_FILE ?? '';
const progressFile = process.env.QM_PROGRESS_FILE ?? '';

let step = 0;
if (resumeFrom) {
  step = JSON.parse(readFileSync(join(resumeFrom, 'state.json'), 'utf8')).step;
  console.log(`rank ${rank}: resumed from step ${step} (${resumeFrom})`);
} else {
  console.log(`rank ${rank}: starting from scratch`);
}

function save() {
  if (rank !== 0 || !ckptDir) return;
  const dir = join(ckptDir, `step-${step}`);
  if (existsSync(join(dir, 'COMMITTED'))) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'state.json'), JSON.stringify({ step }));
  writeFileSync(join(dir, 'COMMITTED'), '');
  console.log(`rank ${rank}: checkpoint step ${step}`);
}

function report() {
  if (rank !== 0 || !progressFile) return;
  writeFileSync(`${progressFile}.tmp`, JSON.stringify({ step, totalSteps }));
  renameSync(`${progressFile}.tmp`, progressFile);
}

let noticed = false;
process.on('SIGTERM', () => { noticed = true; });

let lastSave = Date.now();
const timer = setInterval(() => {
  if (noticed || (preemptFile && existsSync(preemptFile))) {
    if (saveOnNotice) save();
    console.log(`rank ${rank}: notice received at step ${step}, exiting`);
    process.exit(0);
  }
  step += 1;
  console.log(`rank ${rank}: step ${step}`);
  report();
  if (step === failAt) {
    console.log(`rank ${rank}: failing on purpose at step ${step}`);
    process.exit(3);
  }
  if (step >= totalSteps) {
    save();
    clearInterval(timer);
    console.log(`rank ${rank}: done at step ${step}`);
    return;
  }
  if (intervalMs > 0 && Date.now() - lastSave >= intervalMs) {
    save();
    lastSave = Date.now();
  }
}, stepMs);
