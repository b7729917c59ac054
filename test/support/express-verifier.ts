import type { Server } from 'node:http';
import express from 'express';
import { auth, type AuthOptions } from 'express-oauth2-jwt-bearer';

/**
 * A service protected by express-oauth2-jwt-bearer, an independent verifier: `GET /resource` answers 200 `{ ok: true }`
 * for a token its options accept, and the error's status otherwise.
 */
export async function startExpressVerifier(options: AuthOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const app = express();
  app.use(auth(options));
  app.get('/resource', (_req, res) => {
    res.json({ ok: true });
  });
  app.use((error: { status?: number; message: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(error.status ?? 500).json({ error: error.message });
  });
  const server = await new Promise<Server>((done) => {
    const listening: Server = app.listen(0, '127.0.0.1', () => done(listening));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((done) => server.close(() => done())) };
}
