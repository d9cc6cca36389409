import { Injectable, Logger } from '@nestjs/common';
import { UserRepository } from './auth/user.repository';
import { OnJob } from './jobs/job-handler.decorator';
import { JobName } from './jobs/job.types';

@Injectable()
export class SessionMaintenance {
  private readonly logger = new Logger(SessionMaintenance.name);

  constructor(private readonly users: UserRepository) {}

  @OnJob(JobName.SessionsPurgeExpired)
  async purgeExpired(): Promise<{ deleted: number }> {
    const deleted = await this.users.purgeExpiredSessions();
    if (deleted) this.logger.log({ deleted }, 'purged expired sessions');
    return { deleted };
  }
}
