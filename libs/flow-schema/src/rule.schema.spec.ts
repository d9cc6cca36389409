import { isValidTimeZone, TimeZoneSchema } from './rule.schema';

describe('time zones', () => {
  it('knows IANA zones and refuses unknown ones, the same on every call (answers are remembered)', () => {
    for (let i = 0; i < 3; i++) {
      expect(isValidTimeZone('Europe/Paris')).toBe(true);
      expect(isValidTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
      expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    }
    expect(TimeZoneSchema.safeParse('Asia/Tokyo').success).toBe(true);
    expect(TimeZoneSchema.safeParse('Mars/Olympus_Mons').success).toBe(false);
  });

  it('stays right past its memory bound (many distinct inputs)', () => {
    for (let i = 0; i < 2500; i++) expect(isValidTimeZone(`Nowhere/Zone_${i}`)).toBe(false);
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Nowhere/Zone_1')).toBe(false);
  });
});
