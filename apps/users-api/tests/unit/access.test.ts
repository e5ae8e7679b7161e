import { describe, expect, it } from 'vitest';
import { asSeenBy, mayManage } from '../../src/access.ts';
import { sampleUserId, storedUser } from './events.ts';

describe('mayManage and asSeenBy', () => {
  const self = { id: sampleUserId, admin: false };
  const other = { id: '9d4e2a7b-5c1f-4b8e-a6d3-7f0e1c2b3a45', admin: false };
  const admin = { ...other, admin: true };

  it('lets the owner and admins manage a record, nobody else', () => {
    expect([self, other, admin].map((caller) => mayManage(caller, sampleUserId))).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('shows a record whole to its owner and to admins, and only id and name to anybody else', () => {
    expect(asSeenBy(self, storedUser)).toEqual(storedUser);
    expect(asSeenBy(admin, storedUser)).toEqual(storedUser);
    expect(asSeenBy(other, storedUser)).toEqual({ id: sampleUserId, name: 'Ada Lovelace' });
  });
});
