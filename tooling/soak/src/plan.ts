import { seededRandom } from '@repo/local/seeded-random';

/** How much load a soak drives, and how it is mixed. */
export interface SoakSize {
  uploads: number;
  /** Users-API requests in all, spread over `users` signed-in callers working at once. */
  requests: number;
  users: number;
  /** Backfill jobs sent to the batch worker's queue. */
  jobs: number;
  /** Uploads in flight at once. */
  uploadConcurrency: number;
  /**
   * Send jobs no image can satisfy (a missing key, garbage, a hostile file), bound for the DLQ: each takes
   * three receives, a visibility timeout apart, to get there — and again after the redrive.
   */
  deadLetterJobs: boolean;
}

/** What one upload of the soak does: which photo, whether it is overwritten, re-delivered, hostile. */
export interface PlannedUpload {
  index: number;
  /** A photo from the soak's set, or a hostile file that must produce no outputs. */
  file: { kind: 'photo'; photo: number } | { kind: 'hostile'; hostile: HostileKind };
  /** Put a second, different photo through the same link after the first: an overwrite of the key. */
  overwriteWith?: number;
  /** Deliver its S3 event to the functions a second time, as EventBridge may. */
  redeliver: boolean;
}

export type HostileKind = 'not-an-image' | 'truncated' | 'pixel-bomb';
export const hostileKinds: readonly HostileKind[] = ['not-an-image', 'truncated', 'pixel-bomb'];

/** One users-API caller's script: the operations it runs, one after another. */
export type UserOperation = 'create' | 'get' | 'replace' | 'delete' | 'list';

/** A backfill job and what must become of it. */
export type PlannedJob = { kind: 'upload'; upload: number } | { kind: 'missing-key' } | { kind: 'malformed' };

export interface SoakPlan {
  uploads: PlannedUpload[];
  /** Per caller, its operations in order. */
  users: UserOperation[][];
  /** Sent once the uploads are in: jobs naming uploads resize them again, the rest end in the DLQ. */
  jobs: PlannedJob[];
}

/** The soak's photo set: [width, height, EXIF orientation]; shown sizes follow the orientation. */
export const photoSet: readonly [number, number, number][] = [
  [1200, 800, 1],
  [900, 600, 1],
  [600, 900, 1],
  [900, 600, 6],
];

/**
 * The load, drawn from `seed`: one upload in ten overwritten, one in ten re-delivered, one in twelve
 * hostile; each caller creates its record first, then mixes reads, replaces, lists and the odd delete
 * (followed by a create); nine jobs in ten name an upload, the rest a missing key or garbage (with
 * `deadLetterJobs`; otherwise every job names a valid upload).
 */
export function planSoak(size: SoakSize, seed: number): SoakPlan {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const uploads = Array.from({ length: size.uploads }, (_, index): PlannedUpload => {
    const hostile = random() < 1 / 12;
    const photo = Math.floor(random() * photoSet.length);
    return {
      index,
      file: hostile ? { kind: 'hostile', hostile: pick(hostileKinds) } : { kind: 'photo', photo },
      overwriteWith: !hostile && random() < 0.1 ? (photo + 1) % photoSet.length : undefined,
      // A hostile file is rejected once per delivery: re-delivered, it would be rejected twice, rightly.
      redeliver: !hostile && random() < 0.1,
    };
  });

  const users: UserOperation[][] = Array.from({ length: size.users }, () => ['create']);
  for (let request = size.users; request < size.requests; request++) {
    const script = users[request % size.users] as UserOperation[];
    const last = script.at(-1);
    const roll = random();
    if (last === 'delete') script.push('create');
    else if (roll < 0.4) script.push('get');
    else if (roll < 0.7) script.push('replace');
    else if (roll < 0.9) script.push('list');
    else script.push('delete');
  }

  const valid = uploads.filter((upload) => upload.file.kind === 'photo').map((upload) => upload.index);
  const hostile = uploads.filter((upload) => upload.file.kind === 'hostile').map((upload) => upload.index);
  const jobs = Array.from({ length: size.jobs }, (): PlannedJob => {
    const roll = size.deadLetterJobs ? random() : 1;
    if (roll < 0.05) return { kind: 'missing-key' };
    if (roll < 0.1) return { kind: 'malformed' };
    if (roll < 0.2 && hostile.length > 0) return { kind: 'upload', upload: pick(hostile) };
    if (valid.length > 0) return { kind: 'upload', upload: pick(valid) };
    return { kind: 'missing-key' };
  });
  return { uploads, users, jobs };
}
