import { describe, expect, it } from 'vitest';
import { planSoak } from '../src/plan.ts';

const size = {
  uploads: 600,
  requests: 3000,
  users: 10,
  jobs: 400,
  uploadConcurrency: 4,
  deadLetterJobs: true,
};

describe('planSoak', () => {
  it('draws the same load from the same seed, and another from another', () => {
    expect(planSoak(size, 7)).toEqual(planSoak(size, 7));
    expect(planSoak(size, 8)).not.toEqual(planSoak(size, 7));
  });

  it('mixes overwrites, re-deliveries and hostile files among the uploads', () => {
    const { uploads } = planSoak(size, 7);
    const share = (count: number) => count / uploads.length;
    expect(share(uploads.filter((upload) => upload.overwriteWith !== undefined).length)).toBeGreaterThan(
      0.05,
    );
    expect(share(uploads.filter((upload) => upload.redeliver).length)).toBeGreaterThan(0.05);
    expect(share(uploads.filter((upload) => upload.file.kind === 'hostile').length)).toBeGreaterThan(0.04);
    // A hostile file is never overwritten by a photo: it must end with no outputs.
    expect(
      uploads.filter((upload) => upload.file.kind === 'hostile' && upload.overwriteWith !== undefined),
    ).toEqual([]);
  });

  it('gives every caller a script that starts with its create and recreates after each delete', () => {
    const { users } = planSoak(size, 7);
    expect(users).toHaveLength(10);
    expect(users.flat()).toHaveLength(3000);
    for (const script of users) {
      expect(script[0]).toBe('create');
      script.forEach((operation, index) => {
        if (operation === 'delete' && index + 1 < script.length) expect(script[index + 1]).toBe('create');
      });
    }
    expect(new Set(users.flat())).toEqual(new Set(['create', 'get', 'replace', 'delete', 'list']));
  });

  it('sends jobs for valid and hostile uploads, missing keys and garbage', () => {
    const { jobs } = planSoak(size, 7);
    expect(new Set(jobs.map((job) => job.kind))).toEqual(new Set(['upload', 'missing-key', 'malformed']));
  });

  it('sends only jobs for valid uploads without deadLetterJobs', () => {
    const { jobs, uploads } = planSoak({ ...size, deadLetterJobs: false }, 7);
    expect(jobs).toHaveLength(400);
    for (const job of jobs) {
      expect(job.kind).toBe('upload');
      if (job.kind === 'upload') expect(uploads[job.upload]?.file.kind).toBe('photo');
    }
  });
});
