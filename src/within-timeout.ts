/**
 * What `call` resolves to, or a failure with `message` once `ms` have passed without an answer (or when it throws):
 * a remote party that never answers (Redis, an application's issuer resolver) holds nobody longer than that.
 */
export async function withinTimeout<T>(call: () => T | Promise<T>, ms: number, message = `no reply within ${ms} ms`): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(message)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(call), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
