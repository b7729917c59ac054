import { createHmac } from 'node:crypto';
import { Controller, Get, Injectable, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { AuthGuard } from '@nestjs/passport';
import { Test } from '@nestjs/testing';
import { Rs256AuthError, StrictJwtService } from '../src/index.js';
import { createAuthTestKit } from '../src/testing/index.js';
import { listen, request } from './support/http.js';

/** What docs/migrating-from-passport-jwt.md tells a team on the NestJS recipe, checked. */
const kit = createAuthTestKit();

@Controller()
class ProfileController {
  @UseGuards(AuthGuard('rs256-jwt'))
  @Get('profile')
  profile(): { ok: true } {
    return { ok: true };
  }
}

/** A feature module of the recipe that still registers its own JwtModule, and a service of it that signs. */
@Injectable()
class LegacyTokens {
  constructor(readonly jwt: JwtService) {}
}

@Module({ imports: [JwtModule.register({ secret: 'recipe-secret' })], providers: [LegacyTokens] })
class LeftoverModule {}

describe('migrating from @nestjs/jwt + passport-jwt', () => {
  let app: INestApplication | undefined;
  let url: string;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [kit.module()], controllers: [ProfileController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    url = await listen(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it("AuthGuard('rs256-jwt') works in place of AuthGuard('jwt'), with a bare 401 on refusal", async () => {
    expect((await request(url, '/profile', { token: kit.signTestToken() })).status).toBe(200);
    const refused = await request(url, '/profile', { token: kit.signTestToken({}, { aud: 'https://other.test' }) });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBeNull();
  });

  it('a module that keeps JwtModule.register stops start-up, naming the module, instead of signing with the old secret', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [kit.module(), LeftoverModule] }).compile();
    const leftover = moduleRef.createNestApplication({ logger: false });
    try {
      await expect(leftover.init()).rejects.toMatchObject({
        code: 'RS256_CONFIG_INVALID',
        message: expect.stringContaining('LeftoverModule (imports JwtModule)'),
      });
    } finally {
      await leftover.close();
    }
  });

  it('a token signed with the old shared secret is refused with RS256_TOKEN_ALGORITHM', () => {
    const input = `${Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'u', iat: 1, exp: 4102444800 })).toString('base64url')}`;
    const token = `${input}.${createHmac('sha256', 'recipe-secret').update(input).digest('base64url')}`;
    expect(() => app!.get(StrictJwtService).verify(token)).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_ALGORITHM' }));
  });

  it('refuses the recipe’s secret option, and verify options that would change verification', async () => {
    const failure = await Test.createTestingModule({ imports: [kit.module({ secretOrKey: 'recipe-secret' } as object)] })
      .compile()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(Rs256AuthError);
    expect(failure).toMatchObject({ code: 'RS256_SECRET_REFUSED' });
    expect(() => app!.get(StrictJwtService).verify(kit.signTestToken(), { secret: 'recipe-secret' })).toThrow(
      expect.objectContaining({ code: 'RS256_VERIFY_OPTION_REFUSED' }),
    );
  });

  it('a payload without sub signs, but its token is refused', () => {
    const token = app!.get(StrictJwtService).sign({ username: 'john' });
    expect(() => app!.get(StrictJwtService).verify(token)).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_CLAIM_MISSING' }));
  });
});
