import { Controller, Get, Injectable, Module, Req, UseGuards } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { JwtAuthGuard, Rs256AuthModule, Rs256Strategy, type AuthenticatedRequest, type JwtClaims } from '../src/index.js';
import { createApp, PLATFORM_WIRINGS } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

interface AppUser {
  id: string;
  name: string;
  roles: string[];
}

/** The application's own service: a users repository, as the README's pattern has it. */
@Injectable()
class UsersRepository {
  private readonly users = new Map<string, AppUser>([['u-1', { id: 'u-1', name: 'Ada', roles: ['admin'] }]]);
  lookups = 0;

  async findById(id: string | undefined): Promise<AppUser | null> {
    this.lookups++;
    await Promise.resolve();
    return (id && this.users.get(id)) || null;
  }
}

/** A strategy that injects the repository through its constructor, and only it. */
@Injectable()
class UserStrategy extends Rs256Strategy {
  constructor(private readonly users: UsersRepository) {
    super();
  }

  override validate(claims: JwtClaims): Promise<AppUser | null> {
    return this.users.findById(claims.sub);
  }
}

describe.each(PLATFORM_WIRINGS)('a strategy that injects an application provider (%s, %s)', (platform, wiring) => {
  it('is the instance the application registered, with its repository, behind the guard and AuthGuard(RS256_STRATEGY)', async () => {
    const { app, jwt } = await createApp({
      platform,
      wiring,
      strategy: UserStrategy,
      providers: [UsersRepository, UserStrategy],
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath },
    });
    try {
      const url = await listen(app);
      const repository = app.get(UsersRepository);
      expect((await request(url, '/user', { token: jwt.sign({ sub: 'u-1' }) })).body).toEqual({ id: 'u-1', name: 'Ada', roles: ['admin'] });
      const unknown = await request(url, '/user', { token: jwt.sign({ sub: 'u-404' }) });
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toContain('token not accepted');
      expect((await request(url, '/passport', { token: jwt.sign({ sub: 'u-1' }) })).status).toBe(200);
      expect(repository.lookups).toBe(3);
    } finally {
      await app.close();
    }
  });
});

describe('a strategy the application registers nowhere', () => {
  @Module({ providers: [UsersRepository], exports: [UsersRepository] })
  class UsersModule {}

  @Controller()
  @UseGuards(JwtAuthGuard)
  class UserController {
    @Get('user')
    user(@Req() request: AuthenticatedRequest<AppUser>): AppUser {
      return request.user;
    }
  }

  it('is created in the auth module, with the providers forRootAsync imports', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        Rs256AuthModule.forRootAsync({
          strategy: UserStrategy,
          imports: [UsersModule],
          useFactory: () => ({ keys: { privateKeyPath: keys.privatePath } }),
        }),
      ],
      controllers: [UserController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const url = await listen(app);
      const jwt = app.get(JwtService);
      expect((await request(url, '/user', { token: jwt.sign({ sub: 'u-1' }) })).body).toMatchObject({ id: 'u-1', name: 'Ada' });
      expect((await request(url, '/user', { token: jwt.sign({ sub: 'u-404' }) })).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('stops start-up naming the strategy option when its dependencies are nowhere to be found', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [Rs256AuthModule.forRoot({ strategy: UserStrategy, keys: { privateKeyPath: keys.privatePath } })],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await expect(app.init()).rejects.toMatchObject({
      code: 'RS256_CONFIG_INVALID',
      message: expect.stringMatching(/^strategy option: UserStrategy could not be created/),
    });
  });
});
