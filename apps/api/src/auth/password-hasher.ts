import * as argon2 from 'argon2';
import type { AppConfig } from '../config/app-config';

/**
 * argon2id cost per PASSWORD_HASH_COST. `standard` is the library's default (64 MiB, 3 passes); `test`
 * is for test suites that sign up hundreds of users, and start-up refuses it in production. A stored
 * hash carries its own parameters, so verifying works whichever cost made it.
 */
type HashOptions = argon2.HashOptions & { raw?: false };

const COSTS = {
  standard: {},
  test: { memoryCost: 4096, timeCost: 1, parallelism: 1 },
} as const satisfies Record<AppConfig['PASSWORD_HASH_COST'], HashOptions>;

/** Plain class (no Nest imports, so unit tests load it): `AuthModule` provides it from the config. */
export class PasswordHasher {
  private readonly options: HashOptions;
  /** Verified against when the email is unknown, so a login takes as long either way. */
  private dummy?: Promise<string>;

  constructor(cfg: Pick<AppConfig, 'PASSWORD_HASH_COST'>) {
    this.options = { type: argon2.argon2id, ...COSTS[cfg.PASSWORD_HASH_COST] };
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /** False for a wrong password, and for no stored hash (after the same work as a real check). */
  async verify(stored: string | undefined, password: string): Promise<boolean> {
    if (stored) return argon2.verify(stored, password);
    this.dummy ??= this.hash('nudgeflow-timing-equaliser');
    await argon2.verify(await this.dummy, 'x');
    return false;
  }
}
