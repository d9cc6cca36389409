import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OnJob } from '../jobs/job-handler.decorator';
import { JobName } from '../jobs/job.types';
import { DedupeWindowSealer } from './dedupe-window-sealer';
import { DedupeWindowRepository } from './dedupe-window.repository';

/** DedupeWindowSeal (every few minutes, `workerSchedules`): seals, cleans and expires the dedupe window. */
@Injectable()
export class DedupeWindowSealHandler {
  private readonly logger = new Logger(DedupeWindowSealHandler.name);
  private readonly sealer: DedupeWindowSealer;

  constructor(db: DataSource) {
    this.sealer = new DedupeWindowSealer(new DedupeWindowRepository(db));
  }

  @OnJob(JobName.DedupeWindowSeal)
  async run(): Promise<{ sites: number; sealed: number; cleaned: number; expired: number }> {
    const total = await this.sealer.run();
    if (total.sealed || total.cleaned || total.expired) this.logger.log(total, 'dedupe window');
    return total;
  }
}
