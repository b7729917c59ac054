import { BadRequestException, Body, Controller, HttpCode, Inject, Post, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Public, RS256_AUTH_CONFIG, type Rs256AuthConfig } from '../index.js';
import { UserStore } from './user-store.js';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

const MAX_FIELD_LENGTH = 256;

/** Checks the body by hand: the demo needs two strings, not a validation framework. */
function readCredentials(body: unknown): { username: string; password: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestException('Expected a JSON object body: { "username": string, "password": string }.');
  }
  const fields = body as Record<string, unknown>;
  for (const name of ['username', 'password']) {
    const value = fields[name];
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD_LENGTH) {
      throw new BadRequestException(`"${name}" must be a non-empty string of at most ${MAX_FIELD_LENGTH} characters.`);
    }
  }
  return { username: fields.username as string, password: fields.password as string };
}

@Public()
@Controller('auth')
export class AuthController {
  constructor(
    private readonly users: UserStore,
    private readonly jwt: JwtService,
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
  ) {}

  /** Exchanges demo credentials for an access token signed with the private key. */
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: unknown): Promise<TokenResponse> {
    const { username, password } = readCredentials(body);
    const user = this.users.authenticate(username, password);
    if (!user) {
      throw new UnauthorizedException('Invalid username or password.');
    }
    const accessToken = await this.jwt.signAsync({ sub: user.username, scope: user.scopes.join(' ') });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.config.expiresIn };
  }
}
