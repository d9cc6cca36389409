import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DEV_SECRETS_KEY, SecretBox } from './secret-box';

/** The process's SecretBox; production refuses to run on the development key. */
@Injectable()
export class WebhookSecrets extends SecretBox {
  constructor(@Inject(APP_CONFIG) cfg: AppConfig) {
    if (!cfg.SECRETS_KEY && cfg.NODE_ENV === 'production')
      throw new Error('invalid configuration: SECRETS_KEY: required when NODE_ENV=production');
    super(cfg.SECRETS_KEY ?? DEV_SECRETS_KEY);
  }
}
