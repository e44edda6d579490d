import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadSweepFile, validateSweepPoints } from '../../sim/batch/sweep-spec.js';

describe('deploy/indexed-job.yaml', () => {
  const docs = parseAllDocuments(readFileSync('deploy/indexed-job.yaml', 'utf8')).map((d) => d.toJS());
  const job = docs.find((d) => d.kind === 'Job');
  const container = job.spec.template.spec.containers[0];
  const command = container.args.join(' ');

  it('is an Indexed Job whose pods each run one shard of as many as it has completions', () => {
    expect(job.spec.completionMode).toBe('Indexed');
    const shard = /--shard "\$JOB_COMPLETION_INDEX\/(\d+)"/.exec(command);
    expect(shard).not.toBeNull();
    expect(Number(shard![1])).toBe(job.spec.completions);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('runs a sweep file of the repository that loads, into the shared volume it mounts', () => {
    const sweepFile = /rollout-sim sweep (\S+)/.exec(command)![1];
    validateSweepPoints(loadSweepFile(sweepFile));
    const out = /--out (\S+)/.exec(command)![1];
    expect(container.volumeMounts).toContainEqual({ name: 'results', mountPath: out });
    const claim = job.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'results').persistentVolumeClaim.claimName;
    expect(docs.find((d) => d.kind === 'PersistentVolumeClaim').metadata.name).toBe(claim);
  });
});
