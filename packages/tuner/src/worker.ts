/**
 * The entry of a trial's worker process (`child_process.fork`): it loads its
 * own native engine (by importing @duet/core through the user's module),
 * runs one trial, streams each reported epoch to the parent and answers
 * with the outcome or the error. A crash here fails only this trial.
 */
import { runKerasTrial, runNnTrial, resolveRef, type HyperModel, type RunFunction, type TrialJob } from './execute.js';
import { decode } from './wire.js';

export interface WorkerRequest {
  job: TrialJob;
  style: 'keras' | 'nn';
  ref: { module: string; export?: string };
  x?: unknown;
  y?: unknown;
  validationData?: unknown;
}

export type WorkerMessage =
  | { type: 'report'; metrics: Record<string, number[]> }
  | { type: 'done'; outcome: Awaited<ReturnType<typeof runNnTrial>> }
  | { type: 'error'; message: string; name: string; stack?: string };

function send(msg: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(msg, undefined, undefined, () => resolve()));
}

process.once('message', async (req: WorkerRequest) => {
  try {
    let outcome;
    if (req.style === 'keras') {
      const build = await resolveRef<HyperModel>(req.ref);
      const fit = { ...req.job.fit, ...(req.validationData !== undefined ? { validationData: decode(req.validationData) as never } : {}) };
      outcome = await runKerasTrial({ ...req.job, fit }, build, decode(req.x), decode(req.y));
    } else {
      const run = await resolveRef<RunFunction>(req.ref);
      outcome = await runNnTrial(req.job, run, (metrics) => void send({ type: 'report', metrics }));
    }
    await send({ type: 'done', outcome });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    await send({ type: 'error', message: err.message, name: err.name, stack: err.stack });
  }
  process.disconnect();
});
