import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { conflict, notFound } from '../common/app-error';
import { ROLES } from '../common/roles';
import { ApiZodBody, idParam, zodPipe } from '../common/zod-pipe';
import { MembershipRepository } from './membership.repository';
import { AccountRole, UserOnly } from './principal';
import { UserRepository } from './user.repository';
import { ApiZodResponse, Wire } from '../common/api-contract';
import { Member, MemberRole } from './auth.contracts';

const addMemberSchema = z.object({ email: z.email(), role: z.enum(ROLES) });
const changeRoleSchema = z.object({ role: z.enum(ROLES) });

@ApiTags('accounts')
@ApiBearerAuth()
@UserOnly()
@Controller('api/accounts/:accountId/members')
export class AccountsController {
  constructor(
    private readonly members: MembershipRepository,
    private readonly users: UserRepository,
  ) {}

  @Get()
  @AccountRole('viewer')
  @ApiZodResponse([Member])
  async list(@Param('accountId') accountId: string): Promise<Wire<typeof Member>[]> {
    return (await this.members.list(accountId)).map((m) => ({
      userId: m.user_id,
      email: m.email,
      name: m.name,
      role: m.role,
      since: m.created_at,
    }));
  }

  @Post()
  @AccountRole('owner')
  @ApiZodBody(addMemberSchema)
  @ApiZodResponse(Member, 201)
  async add(
    @Param('accountId') accountId: string,
    @Body(zodPipe(addMemberSchema)) body: z.infer<typeof addMemberSchema>,
  ): Promise<Wire<typeof Member>> {
    const user = await this.users.findByEmail(body.email);
    if (!user) throw notFound('user with this email', 'USER_NOT_FOUND');
    if (!(await this.members.add(accountId, user.id, body.role))) {
      throw conflict('ALREADY_MEMBER', 'email: this user is already a member');
    }
    return { userId: user.id, email: user.email, name: user.name, role: body.role };
  }

  @Patch(':userId')
  @AccountRole('owner')
  @ApiZodBody(changeRoleSchema)
  @ApiZodResponse(MemberRole)
  async changeRole(
    @Param('accountId') accountId: string,
    @Param('userId', idParam('member')) userId: string,
    @Body(zodPipe(changeRoleSchema)) body: z.infer<typeof changeRoleSchema>,
  ): Promise<Wire<typeof MemberRole>> {
    this.check(await this.members.changeKeepingAnOwner(accountId, userId, body.role));
    return { userId, role: body.role };
  }

  @Delete(':userId')
  @HttpCode(204)
  @AccountRole('owner')
  async remove(@Param('accountId') accountId: string, @Param('userId', idParam('member')) userId: string) {
    this.check(await this.members.changeKeepingAnOwner(accountId, userId, null));
  }

  private check(outcome: 'done' | 'not_found' | 'last_owner') {
    if (outcome === 'not_found') throw notFound('member', 'MEMBER_NOT_FOUND');
    if (outcome === 'last_owner')
      throw conflict('LAST_OWNER', 'role: an account must keep at least one owner');
  }
}
