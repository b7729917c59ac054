// @ts-check
/**
 * Preloaded with `node --import`: this process's wall clock runs `CLOCK_OFFSET_MS` ahead (or behind, if negative),
 * as on a host whose clock has drifted. Timers and monotonic clocks are untouched, as they are on such a host.
 */
const offset = Number(process.env.CLOCK_OFFSET_MS ?? 0);
const RealDate = Date;
const realNow = RealDate.now.bind(RealDate);

class OffsetDate extends RealDate {
  /** @param {any[]} args */
  constructor(...args) {
    // eslint-disable-next-line @typescript-eslint/ban-ts-comment -- a JavaScript file: @ts-expect-error would fail where it is not type-checked.
    // @ts-ignore: Date's constructor takes the same arguments again.
    super(...(args.length === 0 ? [realNow() + offset] : args));
  }

  static now() {
    return realNow() + offset;
  }
}

globalThis.Date = /** @type {DateConstructor} */ (OffsetDate);
