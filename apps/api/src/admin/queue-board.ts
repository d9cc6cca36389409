import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BoardAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../common/app-error';
import { toErrorBody } from '../common/http-error.filter';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { TokenService } from '../auth/token.service';
import { UserRepository } from '../auth/user.repository';
import { JobQueueService } from '../jobs/job-queue.service';

export const QUEUE_BOARD_PATH = '/admin/queues';

/**
 * Bull Board spans every site's jobs, so it is for the platform's operators only: a signed-in user
 * (access-token cookie set at login) whose email is in OPERATOR_EMAILS.
 */
export async function mountQueueBoard(app: NestFastifyApplication): Promise<void> {
  const cfg = app.get<AppConfig>(APP_CONFIG);
  const tokens = app.get(TokenService);
  const users = app.get(UserRepository);
  const board = new BoardAdapter();
  board.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: app
      .get(JobQueueService)
      .all()
      .map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
  });
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  await fastify.register(
    async (scope) => {
      scope.addHook('onRequest', async (req, reply) => {
        try {
          const bearer = req.headers.authorization?.replace(/^Bearer /i, '');
          const token = bearer ?? req.cookies?.nf_access;
          if (!token) throw new AppError(401, 'AUTH_REQUIRED', 'sign in to the builder first');
          const claims = await tokens.verifyAccess(token);
          const user = await users.findById(claims.sub);
          if (!user || !cfg.OPERATOR_EMAILS.includes(user.email)) {
            throw new AppError(403, 'OPERATOR_ONLY', 'the queue dashboard is for platform operators');
          }
        } catch (err) {
          const { body } = toErrorBody(err);
          return reply.status(body.statusCode).send(body);
        }
      });
      await scope.register(board.registerPlugin());
    },
    { prefix: QUEUE_BOARD_PATH },
  );
}
