import { loadConfig } from '../config/app-config';
import { PasswordHasher } from './password-hasher';

describe('PasswordHasher', () => {
  it('hashes with argon2id at the configured cost and verifies either cost', async () => {
    const standard = new PasswordHasher({ PASSWORD_HASH_COST: 'standard' });
    const cheap = new PasswordHasher({ PASSWORD_HASH_COST: 'test' });
    const strong = await standard.hash('correct horse');
    const weak = await cheap.hash('correct horse');
    expect(strong).toMatch(/^\$argon2id\$v=19\$m=65536,p=4,t=3\$/);
    expect(weak).toMatch(/^\$argon2id\$v=19\$m=4096,p=1,t=1\$/);
    // A stored hash carries its parameters: a server at either cost checks both.
    for (const hasher of [standard, cheap]) {
      await expect(hasher.verify(strong, 'correct horse')).resolves.toBe(true);
      await expect(hasher.verify(weak, 'correct horse')).resolves.toBe(true);
      await expect(hasher.verify(weak, 'correct horsE')).resolves.toBe(false);
      await expect(hasher.verify(undefined, 'correct horse')).resolves.toBe(false);
    }
  });

  it('defaults to the standard cost and refuses the test cost in production', () => {
    expect(loadConfig({}).PASSWORD_HASH_COST).toBe('standard');
    expect(loadConfig({ PASSWORD_HASH_COST: 'test' }).PASSWORD_HASH_COST).toBe('test');
    expect(() =>
      loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PASSWORD_HASH_COST: 'test' }),
    ).toThrow(/PASSWORD_HASH_COST: test is refused when NODE_ENV=production/);
    expect(() => loadConfig({ PASSWORD_HASH_COST: 'cheap' })).toThrow(/PASSWORD_HASH_COST/);
  });
});
