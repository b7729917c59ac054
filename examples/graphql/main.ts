/**
 * GraphQL with Apollo on Express: queries take the token of their HTTP request, subscriptions over graphql-ws the
 * `authorization` of their connectionParams. JwtAuthGuard needs no subclass.
 */
import 'reflect-metadata';
import { Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { Claims, ConnectionAuthenticator, JwtAuthGuard, OptionalAuth, RequireClaims, Rs256AuthModule } from 'nestjs-rs256-auth';

@Resolver()
@UseGuards(JwtAuthGuard)
class ProfileResolver {
  @Query(() => String)
  me(@Claims('sub') subject: string): string {
    return subject;
  }

  @OptionalAuth()
  @Query(() => String)
  greeting(@Claims('sub') subject: string | undefined): string {
    return `hello ${subject ?? 'stranger'}`;
  }

  @RequireClaims({ scopes: ['orders:read'] })
  @Query(() => [String])
  orders(): string[] {
    return ['order-1'];
  }

  @Subscription(() => String, { resolve: (tick: string) => tick })
  ticks(@Claims('sub') subject: string): AsyncGenerator<string> {
    return (async function* () {
      yield `tick for ${subject}`;
    })();
  }
}

// Settings from the environment: JWT_PRIVATE_KEY_PATH (see `npx nestjs-rs256-auth keygen`).
const auth = Rs256AuthModule.forRoot();

@Module({
  imports: [
    auth,
    GraphQLModule.forRootAsync<ApolloDriverConfig>({
      driver: ApolloDriver,
      imports: [auth],
      inject: [ConnectionAuthenticator],
      useFactory: (connections: ConnectionAuthenticator) => ({
        autoSchemaFile: true,
        graphiql: false,
        subscriptions: { 'graphql-ws': { onConnect: connections.graphqlWsOnConnect() } },
      }),
    }),
  ],
  providers: [ProfileResolver],
})
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/graphql`;
console.log(`GraphQL on ${url}`);

if (process.env.DEMO === '1') {
  const token = app.get(JwtService).sign({ sub: 'ada' });
  const ask = async (query: string, bearer?: string): Promise<unknown> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    return (await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query }) })).json();
  };
  console.log(JSON.stringify(await ask('{ me }', token)));
  console.log(JSON.stringify(await ask('{ me }')));
  console.log(JSON.stringify(await ask('{ greeting }')));
  console.log(JSON.stringify(await ask('{ orders }', token)));
  await app.close();
}
