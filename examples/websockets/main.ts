/**
 * A WebSocket gateway on socket.io: the handshake's token is checked when the client connects (a bad one never
 * gets a connection) and again on every guarded message. With `@nestjs/platform-ws` instead, add
 * `app.useWebSocketAdapter(new WsAdapter(app))` and send the token in the handshake's Authorization header.
 */
import 'reflect-metadata';
import { Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { SubscribeMessage, WebSocketGateway, type OnGatewayInit } from '@nestjs/websockets';
import { io } from 'socket.io-client';
import { Claims, ConnectionAuthenticator, JwtAuthGuard, OptionalAuth, RequireClaims, Rs256AuthModule } from 'nestjs-rs256-auth';

@WebSocketGateway()
@UseGuards(JwtAuthGuard)
class ChatGateway implements OnGatewayInit {
  constructor(private readonly connections: ConnectionAuthenticator) {}

  afterInit(server: object): void {
    this.connections.protect(server);
  }

  @SubscribeMessage('whoami')
  whoami(@Claims('sub') subject: string) {
    return { event: 'whoami', data: subject };
  }

  @OptionalAuth()
  @SubscribeMessage('hello')
  hello(@Claims('sub') subject: string | undefined) {
    return { event: 'hello', data: `hello ${subject ?? 'stranger'}` };
  }

  @RequireClaims({ scopes: ['chat:write'] })
  @SubscribeMessage('post')
  post() {
    return { event: 'post', data: 'posted' };
  }
}

// Settings from the environment: JWT_PRIVATE_KEY_PATH (see `npx nestjs-rs256-auth keygen`).
@Module({ imports: [Rs256AuthModule.forRoot()], providers: [ChatGateway] })
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
console.log(`socket.io on ${url}`);

if (process.env.DEMO === '1') {
  const token = app.get(JwtService).sign({ sub: 'ada' });
  // A client with a token: every reply, or the `exception` event of a refusal.
  const socket = io(url, { transports: ['websocket'], auth: { token }, reconnection: false });
  const next = (): Promise<unknown> =>
    new Promise((done) => socket.onAny((event: string, data: unknown) => (socket.offAny(), done({ event, data }))));
  await new Promise((connected) => socket.once('connect', () => connected(undefined)));
  for (const event of ['whoami', 'hello', 'post']) {
    const reply = next();
    socket.emit(event, {});
    console.log(JSON.stringify(await reply));
  }
  socket.close();
  // A client with a bad token never connects.
  const refused = io(url, { transports: ['websocket'], auth: { token: 'not-a-token' }, reconnection: false });
  console.log(JSON.stringify(await new Promise((done) => refused.once('connect_error', (error) => done({ connect_error: error.message })))));
  refused.close();
  await app.close();
}
