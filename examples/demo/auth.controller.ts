import { BadRequestException, Body, Controller, Header, HttpCode, Post, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { ApiBody } from '@nestjs/swagger';
import {
  Claims,
  InjectRs256AuthSettings,
  Public,
  Rs256AuthError,
  SessionService,
  toTokenResponse,
  type JwtClaims,
  type OAuthTokenResponse,
  type Rs256AuthSettings,
} from 'nestjs-rs256-auth';
import { UserStore } from './user-store.js';

/** An OAuth 2.0 token response; without sessions (JWT_SESSIONS_ENABLED=false) there is no refresh token. */
export type TokenResponse = OAuthTokenResponse | Pick<OAuthTokenResponse, 'access_token' | 'token_type' | 'expires_in'>;

const MAX_FIELD_LENGTH = 256;

/** The `client_id` of the demo's tokens under `JWT_TOKEN_PROFILE=rfc9068`: the client that logged in is the demo's own. */
export const DEMO_CLIENT_ID = 'nestjs-rs256-auth-demo';

/** An OpenAPI schema of a JSON object of required strings, as `readStrings` checks it; Swagger UI builds its form from it. */
function stringsBody(fields: Record<string, string>): Parameters<typeof ApiBody>[0] {
  return {
    schema: {
      type: 'object',
      required: Object.keys(fields),
      properties: Object.fromEntries(
        Object.entries(fields).map(([name, example]) => [name, { type: 'string', minLength: 1, maxLength: MAX_FIELD_LENGTH, example }]),
      ),
    },
  };
}

/** Checks the body by hand: the demo needs a few strings, not a validation framework. */
function readStrings<T extends string>(body: unknown, names: readonly T[]): Record<T, string> {
  const shape = names.map((name) => `"${name}": string`).join(', ');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException(`Expected a JSON object body: { ${shape} }.`);
  }
  const fields = body as Record<string, unknown>;
  for (const name of names) {
    const value = fields[name];
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD_LENGTH) {
      throw new BadRequestException(`"${name}" must be a non-empty string of at most ${MAX_FIELD_LENGTH} characters.`);
    }
  }
  return fields as Record<T, string>;
}

/**
 * The session routes of a demo run without sessions are not there. Every other session failure answers by itself
 * (the library's `SessionErrorFilter`): a refused refresh token 401, an unreachable store 503.
 */
async function unlessDisabled<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof Rs256AuthError && error.code === 'RS256_SESSIONS_DISABLED') {
      throw new NotFoundException('sessions are disabled (JWT_SESSIONS_ENABLED=false)');
    }
    throw error;
  }
}

@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UserStore,
    private readonly jwt: JwtService,
    private readonly sessions: SessionService,
    @InjectRs256AuthSettings() private readonly settings: Rs256AuthSettings,
  ) {}

  /** Exchanges demo credentials for an access token signed with the private key (and a refresh token with sessions on). */
  @Public()
  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiBody(stringsBody({ username: 'demo', password: 'demo-password' }))
  async login(@Body() body: unknown): Promise<TokenResponse> {
    const { username, password } = readStrings(body, ['username', 'password']);
    const user = this.users.authenticate(username, password);
    if (!user) {
      throw new UnauthorizedException('Invalid username or password.');
    }
    // RFC 9068 §2.2 requires client_id in an access token: under that profile, the demo names itself.
    const claims = { scope: user.scopes.join(' '), ...(this.settings.tokens.profile === 'rfc9068' && { client_id: DEMO_CLIENT_ID }) };
    if (this.settings.sessions) {
      return toTokenResponse(await this.sessions.issue(user.username, claims));
    }
    const accessToken = await this.jwt.signAsync({ sub: user.username, ...claims });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.settings.tokens.expiresIn };
  }

  /** Exchanges a refresh token for a new pair; the presented one is spent. */
  @Public()
  @Post('refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiBody(stringsBody({ refresh_token: '<the refresh_token of /auth/login>' }))
  async refresh(@Body() body: unknown): Promise<OAuthTokenResponse> {
    const { refresh_token: refreshToken } = readStrings(body, ['refresh_token']);
    return toTokenResponse(await unlessDisabled(() => this.sessions.refresh(refreshToken)));
  }

  /** Ends the session of the presented access token: its refresh tokens and access tokens stop working. */
  @Post('logout')
  @HttpCode(204)
  async logout(@Claims() claims: JwtClaims): Promise<void> {
    await unlessDisabled(() => this.sessions.logout(claims));
  }

  /** Ends every session of the presented token's user, on every instance. */
  @Post('logout-all')
  @HttpCode(204)
  async logoutAll(@Claims('sub') subject: string): Promise<void> {
    await unlessDisabled(() => this.sessions.revokeSubject(subject));
  }
}
