import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiZodBody, zodPipe } from '../common/zod-pipe';
import { LoginInput, loginSchema, refreshSchema, SignupInput, signupSchema } from './auth.schemas';
import { AuthResult, AuthService } from './auth.service';
import { SiteDirectory } from './site-directory';
import { AuthedRequest, CurrentPrincipal, Principal, Public, UserOnly } from './principal';
import { UserRepository } from './user.repository';
import { forbidden } from '../common/app-error';
import { ApiZodResponse, Wire } from '../common/api-contract';
import { Me, TokenResponse } from './auth.contracts';

const REFRESH_COOKIE = 'nf_refresh';
const ACCESS_COOKIE = 'nf_access';

@ApiTags('auth')
@Controller('api')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UserRepository,
    private readonly sites: SiteDirectory,
  ) {}

  @Public()
  @Post('auth/signup')
  @ApiZodBody(signupSchema)
  @ApiZodResponse(TokenResponse, 201)
  async signup(
    @Body(zodPipe(signupSchema)) body: SignupInput,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Wire<typeof TokenResponse>> {
    return this.withCookies(reply, await this.auth.signup(body));
  }

  @Public()
  @Post('auth/login')
  @HttpCode(200)
  @ApiZodBody(loginSchema)
  @ApiZodResponse(TokenResponse)
  async login(
    @Body(zodPipe(loginSchema)) body: LoginInput,
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Wire<typeof TokenResponse>> {
    return this.withCookies(reply, await this.auth.login(body, req.ip));
  }

  @Public()
  @Post('auth/refresh')
  @HttpCode(200)
  @ApiZodBody(refreshSchema)
  @ApiZodResponse(TokenResponse)
  async refresh(
    @Body(zodPipe(refreshSchema)) body: { refreshToken?: string },
    @Req() req: AuthedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Wire<typeof TokenResponse>> {
    const token = body.refreshToken ?? req.cookies?.[REFRESH_COOKIE];
    return this.withCookies(reply, await this.auth.refresh(token));
  }

  @Post('auth/logout')
  @HttpCode(204)
  @UserOnly()
  @ApiBearerAuth()
  async logout(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    if (principal.type !== 'user') throw forbidden('only marketers log out');
    await this.auth.logout(principal.sessionId);
    void reply.clearCookie(REFRESH_COOKIE, { path: '/api/auth' }).clearCookie(ACCESS_COOKIE, { path: '/' });
  }

  @Get('me')
  @UserOnly()
  @ApiBearerAuth()
  @ApiZodResponse(Me)
  async me(@CurrentPrincipal() principal: Principal): Promise<Wire<typeof Me>> {
    if (principal.type !== 'user') throw forbidden('only marketers have a profile');
    const [user, memberships, sites] = await Promise.all([
      this.users.findById(principal.userId),
      this.users.memberships(principal.userId),
      this.sites.listForUser(principal.userId),
    ]);
    return {
      user: user && { id: user.id, email: user.email, name: user.name },
      accounts: memberships.map((m) => ({ id: m.account_id, name: m.account_name, role: m.role })),
      sites: sites.map((s) => ({
        id: s.id,
        accountId: s.account_id,
        name: s.name,
        domain: s.domain,
        role: s.role,
      })),
    };
  }

  /** The builder keeps tokens in memory; http-only cookies let a reload refresh and let /admin pages authenticate. */
  private withCookies<T extends AuthResult>(reply: FastifyReply, result: T): T {
    const secure = process.env.NODE_ENV === 'production';
    void reply
      .setCookie(REFRESH_COOKIE, result.refreshToken, {
        httpOnly: true,
        sameSite: 'strict',
        secure,
        path: '/api/auth',
      })
      .setCookie(ACCESS_COOKIE, result.accessToken, {
        httpOnly: true,
        sameSite: 'strict',
        secure,
        path: '/',
        maxAge: result.expiresIn,
      });
    return result;
  }
}
