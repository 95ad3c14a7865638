/**
 * Whether `value` was built by `type` or a subclass of it: the prototype-chain test, as a type
 * guard usable with classes from other packages (SerialPort, HttpError, SqliteError).
 */
export function isInstance<T>(value: unknown, type: abstract new (...args: never[]) => T): value is T {
  return typeof value === 'object' && value !== null && Object.prototype.isPrototypeOf.call(type.prototype, value);
}
