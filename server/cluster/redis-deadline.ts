/**
 * One Redis call of a cluster part with a deadline of its own (issue 15): a lease, the node list or
 * a revision lane must never wait on Redis longer than it can afford (the store's client may queue
 * or retry). Every failure — late, refused, disconnected — comes out as the part's own
 * `E_UNAVAILABLE` error, made by `unavailable(message, cause)`.
 */
export function withRedisDeadline<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  unavailable: (message: string, cause?: unknown) => Error,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(unavailable(`${what}: no answer from Redis within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(unavailable(`${what}: ${String(err)}`, err));
      },
    );
  });
}
