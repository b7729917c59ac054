import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectRs256AuthSettings, Public, Rs256AuthModule, type Rs256AuthModuleOptions, type Rs256AuthSettings } from '../src/index.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/** A token endpoint's view of the settings, as an application reads them. */
@Controller('settings')
class SettingsController {
  constructor(@InjectRs256AuthSettings() private readonly settings: Rs256AuthSettings) {}

  @Public()
  @Get()
  read(): { settings: Rs256AuthSettings; frozen: boolean } {
    return {
      settings: this.settings,
      frozen: Object.isFrozen(this.settings) && Object.isFrozen(this.settings.tokens) && Object.isFrozen(this.settings.tokens.audience),
    };
  }
}

/** Started apps, closed after each test, also when a start fails half way. */
const apps: INestApplication[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

async function startApp(wiring: 'forRoot' | 'forRootAsync', options: Rs256AuthModuleOptions): Promise<INestApplication> {
  @Module({
    imports: [wiring === 'forRoot' ? Rs256AuthModule.forRoot(options) : Rs256AuthModule.forRootAsync({ useFactory: () => options })],
    controllers: [SettingsController],
  })
  class SettingsApp {}
  const app = await NestFactory.create(SettingsApp, { logger: false });
  apps.push(app);
  await listen(app);
  return app;
}

describe.each(['forRoot', 'forRootAsync'] as const)('InjectRs256AuthSettings (%s)', (wiring) => {
  it('gives the settings in force, as frozen plain data without keys', async () => {
    const options: Rs256AuthModuleOptions = {
      keys: { privateKeyPath: keys.privatePath },
      sessions: true,
      tokens: { issuer: 'https://issuer.test', audience: ['api.test', 'other.test'], expiresIn: '15m', profile: 'rfc9068' },
    };
    const app = await startApp(wiring, options);
    const { status, body } = await request(await app.getUrl(), '/settings');
    expect(status).toBe(200);
    expect(body).toEqual({
      settings: {
        tokens: { issuer: 'https://issuer.test', audience: ['api.test', 'other.test'], expiresIn: 900, profile: 'rfc9068' },
        sessions: true,
      },
      frozen: true,
    });
  });

  it('says when sessions are off and no issuer or audience is set', async () => {
    const app = await startApp(wiring, { keys: { privateKeyPath: keys.privatePath }, tokens: { expiresIn: 60 } });
    const { body } = await request(await app.getUrl(), '/settings');
    expect((body as { settings: unknown }).settings).toEqual({ tokens: { expiresIn: 60, profile: 'jwt' }, sessions: false });
  });
});
