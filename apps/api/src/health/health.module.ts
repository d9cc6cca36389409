import { Module } from '@nestjs/common';
import { CoreModule } from '../core.module';
import { HealthController } from './health.controller';

@Module({ imports: [CoreModule], controllers: [HealthController] })
export class HealthModule {}
